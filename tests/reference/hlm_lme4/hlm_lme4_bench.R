# lme4 fit of the 3,000-patient x 4-wave check data (see bench_data.py).
# Run from this folder:
#   ../../../.venv/bin/python bench_data.py /tmp/hlm_bench.csv && Rscript hlm_lme4_bench.R /tmp/hlm_bench.csv
# Writes hlm_lme4_bench_params.csv and hlm_lme4_bench_ranef.csv (first 200 patients).
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = c(id = "character", week = "numeric", gsi = "numeric"))
fmt <- function(x) sprintf("%.17g", x)
control <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
t0 <- proc.time()[["elapsed"]]
m <- lmer(gsi ~ week + (week | id), data = d, REML = TRUE, control = control)
el <- proc.time()[["elapsed"]] - t0
vc <- as.data.frame(VarCorr(m))
write.csv(data.frame(
  fixef_intercept = fmt(fixef(m)[1]), fixef_time = fmt(fixef(m)[2]),
  sd_intercept = fmt(vc$sdcor[1]), sd_time = fmt(vc$sdcor[2]), cor = fmt(vc$sdcor[3]),
  sigma = fmt(sigma(m)), reml_criterion = fmt(REMLcrit(m)), n_obs = nobs(m),
  n_ids = ngrps(m)[["id"]], singular = isSingular(m), lme4 = as.character(packageVersion("lme4")),
  seconds = round(el, 1)),
  "hlm_lme4_bench_params.csv", row.names = FALSE, quote = FALSE)
r <- ranef(m, condVar = TRUE)
pv <- attr(r$id, "postVar")
keep <- 1:200
write.csv(data.frame(id = rownames(r$id)[keep], eb_slope = fmt(r$id[keep, 2]),
                     eb_slope_sd = fmt(sqrt(pv[2, 2, keep]))),
          "hlm_lme4_bench_ranef.csv", row.names = FALSE, quote = FALSE)

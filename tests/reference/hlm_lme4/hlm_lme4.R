# Reference fits for effectstudy's HLM reliable change (effectstudy.kernels.hlm_fit).
# Run from this folder:  Rscript hlm_lme4.R
# Model: lme4::lmer(gsi ~ time + (time | id), REML = TRUE) on the development data set
# ../r_outputs/inputs/dev_gsi_5waves_long.csv (subjects with >= 3 non-missing scores),
# once with lme4's default optimizer settings and once with a tight bobyqa tolerance,
# for time = occasion and time = week.  Writes hlm_lme4_params.csv and hlm_lme4_ranef.csv.
suppressPackageStartupMessages(library(lme4))
d <- read.csv("../r_outputs/inputs/dev_gsi_5waves_long.csv",
              colClasses = c(id = "character", occasion = "integer", week = "numeric", gsi = "numeric"))
d <- d[!is.na(d$gsi), ]
n <- table(d$id)
d <- d[d$id %in% names(n)[n >= 3], ]
fmt <- function(x) sprintf("%.17g", x)
pars <- list(); re <- list()
for (tv in c("occasion", "week")) {
  for (ctl in c("default", "tight")) {
    d$time <- d[[tv]]
    control <- if (ctl == "default") lmerControl() else
      lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5))
    m <- lmer(gsi ~ time + (time | id), data = d, REML = TRUE, control = control)
    vc <- as.data.frame(VarCorr(m))
    r <- ranef(m, condVar = TRUE)
    pv <- attr(r$id, "postVar")
    pars[[length(pars) + 1]] <- data.frame(
      time = tv, control = ctl,
      fixef_intercept = fmt(fixef(m)[1]), fixef_time = fmt(fixef(m)[2]),
      sd_intercept = fmt(vc$sdcor[1]), sd_time = fmt(vc$sdcor[2]), cor = fmt(vc$sdcor[3]),
      sigma = fmt(sigma(m)), reml_criterion = fmt(REMLcrit(m)),
      n_obs = nobs(m), n_ids = ngrps(m)[["id"]], singular = isSingular(m))
    re[[length(re) + 1]] <- data.frame(
      time = tv, control = ctl, id = rownames(r$id),
      eb_intercept = fmt(r$id[, 1]), eb_slope = fmt(r$id[, 2]),
      eb_slope_sd = fmt(sqrt(pv[2, 2, ])))
  }
}
write.csv(do.call(rbind, pars), "hlm_lme4_params.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, re), "hlm_lme4_ranef.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("lme4", packageVersion("lme4")),
             paste("Matrix", packageVersion("Matrix"))), "hlm_lme4_versions.txt")

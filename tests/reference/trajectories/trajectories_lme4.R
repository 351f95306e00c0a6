# Reference fit for effectstudy.trajectories (run from this folder: Rscript trajectories_lme4.R)
# Model: lme4::lmer(score ~ log(session) * group + (1 + log(session) | id), REML = TRUE)
# on trajectories_input.csv (all scored administrations, completers and non-completers),
# once with lme4's default optimizer settings and once with a tight bobyqa tolerance.
# Writes trajectories_lme4_fixef.csv, trajectories_lme4_varcorr.csv and the versions file.
suppressPackageStartupMessages(library(lme4))
d <- read.csv("trajectories_input.csv",
              colClasses = c(id = "character", group = "character", session = "numeric",
                             occasion = "character", score = "numeric"))
d$group <- factor(d$group)  # levels in alphabetical order: anxiety (reference), mood, other
fmt <- function(x) sprintf("%.17g", x)
fe <- list(); vcs <- list()
for (ctl in c("default", "tight")) {
  control <- if (ctl == "default") lmerControl() else
    lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5))
  m <- lmer(score ~ log(session) * group + (1 + log(session) | id), data = d, REML = TRUE,
            control = control)
  cf <- summary(m)$coefficients
  fe[[length(fe) + 1]] <- data.frame(control = ctl, term = rownames(cf),
                                     estimate = fmt(cf[, "Estimate"]),
                                     se = fmt(cf[, "Std. Error"]))
  vc <- as.data.frame(VarCorr(m))
  vcs[[length(vcs) + 1]] <- data.frame(
    control = ctl, sd_intercept = fmt(vc$sdcor[1]), sd_slope = fmt(vc$sdcor[2]),
    cor = fmt(vc$sdcor[3]), sigma = fmt(sigma(m)), reml_criterion = fmt(REMLcrit(m)),
    n_obs = nobs(m), n_ids = ngrps(m)[["id"]], singular = isSingular(m))
}
write.csv(do.call(rbind, fe), "trajectories_lme4_fixef.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, vcs), "trajectories_lme4_varcorr.csv", row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("lme4", packageVersion("lme4")),
             paste("Matrix", packageVersion("Matrix"))), "trajectories_lme4_versions.txt")

# Reference values for effectstudy.stagnation.mixed_fit and the not_on_track band.
# Run from the repository root: Rscript tests/reference/stagnation/mixed_lme4.R
# Data: mixed_data.csv (made by make_data.py, numpy only).
# Model: y ~ z * w + (z | id), REML, bobyqa with a tight tolerance.
# Band: for a new subject with covariate w at z, mean x'beta and
#   SD = sqrt((1, z) D (1, z)' + sigma^2 + x' vcov(beta) x), upper bound mean + qnorm(0.9) SD.
suppressPackageStartupMessages(library(lme4))
here <- "tests/reference/stagnation"
d <- read.csv(file.path(here, "mixed_data.csv"))
f <- lmer(y ~ z * w + (z | id), data = d, REML = TRUE,
          control = lmerControl(optimizer = "bobyqa",
                                optCtrl = list(rhobeg = 2e-4, rhoend = 2e-11, maxfun = 1e5)))
b <- fixef(f)
V <- as.matrix(vcov(f))
D <- VarCorr(f)$id[, ]
s <- sigma(f)
grid <- expand.grid(z = log(c(2, 5, 12)), w = c(-1.5, 0, 2))
X <- cbind(1, grid$z, grid$w, grid$z * grid$w)
mu <- as.vector(X %*% b)
v <- D[1, 1] + 2 * D[1, 2] * grid$z + D[2, 2] * grid$z^2 + s^2 + rowSums((X %*% V) * X)
grid$mean <- mu
grid$sd <- sqrt(v)
grid$upper90 <- mu + qnorm(0.9) * sqrt(v)
out <- data.frame(
  name = c(paste0("beta_", c("intercept", "z", "w", "w:z")),
           paste0("vcov_", outer(1:4, 1:4, paste, sep = "_")),
           "d00", "d01", "d11", "sigma", "reml_criterion"),
  value = c(unname(b), as.vector(V), D[1, 1], D[1, 2], D[2, 2], s, REMLcrit(f)))
write.csv(out, file.path(here, "mixed_lme4_params.csv"), row.names = FALSE)
write.csv(format(grid, digits = 17), file.path(here, "mixed_lme4_band.csv"), row.names = FALSE,
          quote = FALSE)
writeLines(c(R.version.string, paste("lme4", packageVersion("lme4")),
             paste("Matrix", packageVersion("Matrix"))),
           file.path(here, "mixed_lme4_versions.txt"))

# Reference values for effectstudy's Rubin's rules and multiple imputation (issue 17).
# Run from this folder: Rscript itt_mice.R   (R 4.2, mice 3.15; writes the csv files below)
#
# 1. pool_expected.csv: mice::pool.scalar(Q, U, n = dfcom + 1, k = 1) of every case in
#    pool_cases.csv (exact: compared to 1e-10).
# 2. mi_expected.csv: mice(method = "norm") of the missing post scores of itt_input.csv from
#    pre, last, has_interim, diagnosis, care_type and sessions, M = 2000 imputations; in each
#    imputed data set Becker's d (mean change / SD of the pre scores) with Hedges' exact J
#    (df = n - 1) and its standard error sqrt(2 (1 - r) / n + d^2 / (2 n)) (Becker 1988,
#    as effectsize::repeated_measures_d), written here from the formulas; pooled by
#    mice::pool.scalar with n = n, k = 1.  Random: compared within a Monte-Carlo tolerance.
suppressPackageStartupMessages(library(mice))

cases <- read.csv("pool_cases.csv")
out <- do.call(rbind, lapply(split(cases, cases$case), function(d) {
  dfcom <- d$dfcom[1]
  p <- pool.scalar(d$q, d$u, n = dfcom + 1, k = 1)
  data.frame(case = d$case[1], m = p$m, qbar = p$qbar, ubar = p$ubar, b = p$b, t = p$t,
             df = p$df, r = p$r, fmi = p$fmi)
}))
write.csv(out, "pool_expected.csv", row.names = FALSE)

x <- read.csv("itt_input.csv", stringsAsFactors = TRUE)
x$has_interim <- as.numeric(x$has_interim)
x$sessions <- as.numeric(x$sessions)
meth <- make.method(x)
meth[] <- ""
meth["post"] <- "norm"
pred <- make.predictorMatrix(x)
pred[, ] <- 0
pred["post", c("pre", "last", "has_interim", "diagnosis", "care_type", "sessions")] <- 1
M <- 2000
imp <- mice(x, m = M, method = meth, predictorMatrix = pred, maxit = 1, seed = 17,
            printFlag = FALSE)
becker <- function(pre, post) {
  n <- length(pre)
  d <- mean(post - pre) / sd(pre)
  r <- cor(pre, post)
  se <- sqrt(2 * (1 - r) / n + d^2 / (2 * n))
  nu <- n - 1
  j <- exp(lgamma(nu / 2) - lgamma((nu - 1) / 2)) / sqrt(nu / 2)
  c(g = j * d, se = j * se)
}
est <- t(sapply(seq_len(M), function(i) { d <- complete(imp, i); becker(d$pre, d$post) }))
n <- nrow(x)
p <- pool.scalar(est[, "g"], est[, "se"]^2, n = n, k = 1)
half <- qt(0.975, p$df) * sqrt(p$t)
imputed <- sapply(seq_len(M), function(i) mean(complete(imp, i)$post[is.na(x$post)]))
write.csv(data.frame(m = M, n = n, n_missing = sum(is.na(x$post)), qbar = p$qbar, ubar = p$ubar,
                     b = p$b, t = p$t, df = p$df, fmi = p$fmi, ci_low = p$qbar - half,
                     ci_high = p$qbar + half, mean_imputed = mean(imputed),
                     sd_mean_imputed = sd(imputed)),
          "mi_expected.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "versions.txt")

# Reference values for effectstudy's effect-size intervals and category-share intervals.
# Run from this folder:  Rscript intervals.R     (R 4.2.2; boot, effectsize 0.8.3; see versions.txt)
#
# Writes
#   data_n9.csv, data_n20.csv, data_n40.csv   three small synthetic pre/post data sets (id, pre, post)
#   boot_replicates.csv   the B = 2000 bootstrap replicates of boot() per data set and method
#   jackknife.csv         the leave-one-out estimates theta_(i) per data set and method
#   bca_exact.csv         t0, z0, jackknife acceleration a, BCa-adjusted levels and the type-7
#                         quantiles of the 2000 replicates at those levels (and at 2.5 / 97.5 %)
#   boot_large.csv        boot.ci() percentile and BCa limits from B = 100000 replicates, and the
#                         Monte-Carlo standard error of each limit (20 batch means)
#   effectsize_083.csv    effectsize 0.8.3 cohens_d()/hedges_g(paired = TRUE) (noncentral t) and
#                         the normal-theory limits of rm_d's formulas (z, rm, av, b) computed here
#   wilson_prop_test.csv  prop.test(k, n, correct = FALSE)$conf.int for n = 1..60, k = 0..n
#
# The statistic: effect = post - pre, standardised mean change, Hedges-adjusted with the exact
# J(n - 1) (n = the sample's own size, so a jackknife sample of n - 1 gets J(n - 2)):
#   z: mean(D) / sd(D);  rm: mean(D) / (sd(D) / sqrt(2 (1 - r)));  av: mean(D) / sqrt((var(x) + var(y)) / 2);
#   b: mean(D) / sd(pre)  (Becker 1988).
suppressPackageStartupMessages({library(boot); library(effectsize)})
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
fmt <- function(x) sprintf("%.17g", x)
J <- function(df) exp(lgamma(df / 2) - lgamma((df - 1) / 2)) / sqrt(df / 2)
dstat <- function(x, y, method, adjust = TRUE) {
  n <- length(x); D <- y - x; m <- mean(D)
  d <- switch(method,
              z = m / sd(D),
              rm = m / (sd(D) / sqrt(2 * (1 - cor(x, y)))),
              av = m / sqrt((var(x) + var(y)) / 2),
              b = m / sd(x))
  if (adjust) d * J(n - 1) else d
}

# -- data: GSI-like scores (0-4, two decimals, lower is better); a skewed change (a share of
#    responders with a gamma-distributed improvement) so that percentile and BCa differ
make <- function(n, seed) {
  set.seed(seed)
  pre <- round(rnorm(n, 1.6, 0.55), 2)
  resp <- rbinom(n, 1, 0.6)
  post <- round(pmax(0, pre - resp * rgamma(n, 2, 3) + rnorm(n, 0, 0.25)), 2)
  data.frame(id = sprintf("P%02d", seq_len(n)), pre = pre, post = post)
}
sets <- list(n9 = make(9, 909), n20 = make(20, 2020), n40 = make(40, 4040))
for (nm in names(sets)) write.csv(sets[[nm]], sprintf("data_%s.csv", nm), row.names = FALSE)

methods <- c("b", "z")
reps <- list(); jack <- list(); exact <- list(); large <- list()
zq <- qnorm(c(0.025, 0.975))
bca_levels <- function(t, t0, a) {          # Efron & Tibshirani (1993) eq. 14.10
  z0 <- qnorm(sum(t < t0) / length(t))
  pnorm(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
}
seed <- 100
for (nm in names(sets)) for (m in methods) {
  d <- sets[[nm]]; n <- nrow(d)
  st <- function(dd, i) dstat(dd$pre[i], dd$post[i], m)
  t0 <- st(d, seq_len(n))
  tj <- sapply(seq_len(n), function(i) st(d, -i))
  u <- mean(tj) - tj
  a <- sum(u^3) / (6 * sum(u^2)^1.5)
  seed <- seed + 1; set.seed(seed)
  b <- boot(d, st, R = 2000)
  # the jackknife influence values of Efron & Tibshirani (1993, eq. 14.15), centred on the
  # jackknife mean as scipy does; boot's empinf(type = "jack") centres on t0 instead and its
  # default (regression on the replicates) is another estimate, so L is given explicitly
  L <- (n - 1) * u
  ci <- boot.ci(b, type = c("perc", "bca"), L = L)
  lev <- bca_levels(b$t[, 1], t0, a)
  stopifnot(all(abs(ci$bca[2:3] - round((b$R + 1) * lev, 2)) < 1e-9))  # boot.ci: the same a, z0 (its ranks are rounded)
  reps[[length(reps) + 1]] <- data.frame(dataset = nm, method = m, replicate = seq_len(b$R), t = fmt(b$t[, 1]))
  jack[[length(jack) + 1]] <- data.frame(dataset = nm, method = m, left_out = seq_len(n), theta = fmt(tj))
  exact[[length(exact) + 1]] <- data.frame(
    dataset = nm, method = m, n = n, B = b$R, t0 = fmt(t0), z0 = fmt(qnorm(sum(b$t[, 1] < t0) / b$R)),
    a_jackknife = fmt(a), level_low = fmt(lev[1]), level_high = fmt(lev[2]),
    bca_low_type7 = fmt(quantile(b$t[, 1], lev[1], type = 7, names = FALSE)),
    bca_high_type7 = fmt(quantile(b$t[, 1], lev[2], type = 7, names = FALSE)),
    perc_low_type7 = fmt(quantile(b$t[, 1], 0.025, type = 7, names = FALSE)),
    perc_high_type7 = fmt(quantile(b$t[, 1], 0.975, type = 7, names = FALSE)),
    bootci_perc_low = fmt(ci$percent[4]), bootci_perc_high = fmt(ci$percent[5]),
    bootci_bca_low = fmt(ci$bca[4]), bootci_bca_high = fmt(ci$bca[5]))
  # large B: the limits the implementations converge to, with their Monte-Carlo error
  seed <- seed + 1; set.seed(seed)
  bl <- boot(d, st, R = 100000)
  cil <- boot.ci(bl, type = c("perc", "bca"), L = L)
  tb <- matrix(bl$t[, 1], ncol = 20)         # 20 batches of 5000 replicates
  bp <- apply(tb, 2, function(x) quantile(x, c(0.025, 0.975), type = 7, names = FALSE))
  bb <- apply(tb, 2, function(x) quantile(x, bca_levels(x, t0, a), type = 7, names = FALSE))
  se <- function(v) sd(v) / sqrt(20)        # SE of the mean of 20 batches = SE of the B = 100000 limit
  large[[length(large) + 1]] <- data.frame(
    dataset = nm, method = m, n = n, B = bl$R,
    perc_low = fmt(cil$percent[4]), perc_high = fmt(cil$percent[5]),
    bca_low = fmt(cil$bca[4]), bca_high = fmt(cil$bca[5]),
    mc_se_perc_low = fmt(se(bp[1, ])), mc_se_perc_high = fmt(se(bp[2, ])),
    mc_se_bca_low = fmt(se(bb[1, ])), mc_se_bca_high = fmt(se(bb[2, ])))
}
write.csv(do.call(rbind, reps), "boot_replicates.csv", row.names = FALSE)
write.csv(do.call(rbind, jack), "jackknife.csv", row.names = FALSE)
write.csv(do.call(rbind, exact), "bca_exact.csv", row.names = FALSE)
write.csv(do.call(rbind, large), "boot_large.csv", row.names = FALSE)

# -- effectsize 0.8.3: cohens_d / hedges_g (paired = TRUE), noncentral-t CI; 0.8.3 has no rm_d
#    (added in 0.8.7), so the normal-theory limits of rm_d's documented formulas are computed here
es <- list()
for (nm in names(sets)) {
  d <- sets[[nm]]; x <- d$pre; y <- d$post; n <- nrow(d); D <- y - x; f <- 2 * (1 - cor(x, y))
  # the exact limits: the noncentrality parameters with pt(t, n - 1, ncp) = 0.975 / 0.025, found
  # by uniroot to 1e-14 (effectsize 0.8.3 minimises |pt - 0.975| + |pt - 0.025| with optim's
  # Nelder-Mead, abstol 1e-9, which can stop early: effectsize_exact says whether it is within
  # 1e-6 of the root)
  tval <- mean(D) / sd(D) * sqrt(n)
  root <- function(p) uniroot(function(ncp) pt(tval, n - 1, ncp) - p, c(tval - 10, tval + 10), tol = 1e-14)$root
  exact <- c(root(0.975), root(0.025)) / sqrt(n)
  for (fun in c("cohens_d", "hedges_g")) {
    r <- suppressMessages(get(fun)(y, x, paired = TRUE, ci = 0.95))
    ex <- exact * (if (fun == "hedges_g") J(n - 1) else 1)
    es[[length(es) + 1]] <- data.frame(dataset = nm, source = paste0("effectsize ", packageVersion("effectsize"), " ", fun),
                                       method = "z", adjust = fun == "hedges_g", ci_method = "nct",
                                       estimate = fmt(r[[1]]), ci_low = fmt(r$CI_low), ci_high = fmt(r$CI_high),
                                       exact_low = fmt(ex[1]), exact_high = fmt(ex[2]),
                                       effectsize_exact = max(abs(c(r$CI_low, r$CI_high) - ex)) < 1e-6)
  }
  for (m in c("z", "rm", "av", "b")) {
    dd <- dstat(x, y, m, adjust = FALSE)
    se <- switch(m, z = sqrt(1 / n + dd^2 / (2 * n)), rm = sqrt((1 / n + dd^2 / (2 * n)) * f),
                 av = sd(D) / sqrt(n) / sqrt((var(x) + var(y)) / 2), b = sqrt(f / n + dd^2 / (2 * n)))
    for (adj in c(FALSE, TRUE)) {
      j <- if (adj) J(n - 1) else 1
      es[[length(es) + 1]] <- data.frame(dataset = nm, source = "rm_d formulas (effectsize 1.0.0 documentation) in base R",
                                         method = m, adjust = adj, ci_method = "normal", estimate = fmt(dd * j),
                                         ci_low = fmt((dd - qnorm(0.975) * se) * j), ci_high = fmt((dd + qnorm(0.975) * se) * j),
                                         exact_low = NA, exact_high = NA, effectsize_exact = NA)
    }
  }
}
write.csv(do.call(rbind, es), "effectsize_083.csv", row.names = FALSE)

# -- Wilson score interval of a share: prop.test without continuity correction
w <- do.call(rbind, lapply(1:60, function(n) do.call(rbind, lapply(0:n, function(k) {
  ci <- suppressWarnings(prop.test(k, n, correct = FALSE)$conf.int)
  data.frame(k = k, n = n, ci_low = fmt(ci[1]), ci_high = fmt(ci[2]))
}))))
write.csv(w, "wilson_prop_test.csv", row.names = FALSE)

writeLines(c(R.version.string, paste("boot", packageVersion("boot")),
             paste("effectsize", packageVersion("effectsize")),
             paste("generated", format(Sys.time(), tz = "UTC", usetz = TRUE))), "versions.txt")

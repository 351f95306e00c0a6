# Reference values for the edge tests of effectstudy/kernels/anchor.py and effect_sizes.py
# (issue 21, mutation testing).  Base R only.  Run: cd tests/reference/kernel_edges && Rscript kernel_edges.R
# 1. t.test at the smallest sizes that give an interval: 2 pairs (paired), 2 scores in one arm (Welch).
# 2. Noncentral-t confidence limits of the noncentrality parameter (Steiger & Fouladi 1997) with
#    pt(t, df, ncp) and uniroot, for t = +-15, df = 2: limits more than 10 away from t.
f <- function(x) sprintf("%.17g", x)
tt <- function(case, r) data.frame(case = case, estimate = f(unname(if (length(r$estimate) == 2)
  r$estimate[1] - r$estimate[2] else r$estimate)), ci_low = f(r$conf.int[1]), ci_high = f(r$conf.int[2]),
  t = f(unname(r$statistic)), df = f(unname(r$parameter)), p = f(r$p.value))
out <- rbind(
  tt("paired_2", t.test(c(3, 5), c(2, 2), paired = TRUE)),      # changes 1, 3
  tt("welch_2_3", t.test(c(4, 6), c(1, 2, 3))),
  tt("welch_3_2", t.test(c(1, 2, 3), c(4, 6))))
write.csv(out, "t_tests.csv", row.names = FALSE, quote = FALSE)
lim <- function(t, df, p) uniroot(function(ncp) pt(t, df, ncp) - p, c(t - 200, t + 200),
                                  tol = 1e-13)$root
nct <- do.call(rbind, lapply(c(15, -15), function(t) data.frame(
  t = t, df = 2, ci = 0.95, ncp_low = f(lim(t, 2, 0.975)), ncp_high = f(lim(t, 2, 0.025)))))
write.csv(nct, "nct_limits.csv", row.names = FALSE, quote = FALSE)
writeLines(capture.output(sessionInfo()), "versions.txt")

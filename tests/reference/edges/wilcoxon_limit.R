# R's wilcox.test at its exact-test limit: 49, 50 and 51 non-zero paired differences.
# Run from this folder:  Rscript wilcoxon_limit.R   (base R stats only; R 4.2.2 here)
#
# R's wilcox.test(paired = TRUE) drops zero differences, sets n = the number left and, with
# the default exact = NULL, uses the exact signed-rank distribution only when n < 50 and
# there are no ties and no zeros; otherwise the normal approximation with continuity and tie
# correction.  So 49 differences are exact, 50 and 51 are approximate, and 49 non-zero
# differences plus one zero (or with one tie) are approximate too.
#
# Data (written to wilcoxon_limit_inputs.csv, which the test reads; nothing is rebuilt in
# Python): pre_i = 60 + (7 i mod 11), difference d_i = i with the sign of every third
# difference negative, so |d| are the distinct whole numbers 1..n (no ties, no zeros) and the
# p-value is moderate (the exact and the normal p differ in the third decimal, far above
# the 1e-9 tolerance of the test).  Case "zero49": 49 such differences and one zero pair.
# Case "tie49": 49 differences with |d_49| = |d_48| (one tie).
fmt <- function(x) sprintf("%.17g", x)
make <- function(n) {
  i <- seq_len(n)
  pre <- 60 + (7 * i) %% 11
  d <- ifelse(i %% 3 == 0, -i, i)
  data.frame(pre = pre, post = pre + d)
}
cases <- list(
  n49 = make(49),
  n50 = make(50),
  n51 = make(51),
  zero49 = rbind(make(49), data.frame(pre = 65, post = 65)),
  tie49 = within(make(49), post[49] <- pre[49] + 48)
)
inputs <- do.call(rbind, lapply(names(cases), function(k) {
  d <- cases[[k]]
  data.frame(case = k, id = seq_len(nrow(d)), pre = d$pre, post = d$post)
}))
write.csv(inputs, "wilcoxon_limit_inputs.csv", row.names = FALSE, quote = TRUE)
out <- do.call(rbind, lapply(names(cases), function(k) {
  d <- cases[[k]]
  wt <- suppressWarnings(wilcox.test(d$post, d$pre, paired = TRUE))
  data.frame(case = k, n_pairs = nrow(d), n_nonzero = sum(d$post != d$pre),
             wilcoxon_v = fmt(wt$statistic), wilcoxon_p = fmt(wt$p.value),
             method = wt$method)
}))
write.csv(out, "wilcoxon_limit.csv", row.names = FALSE, quote = TRUE)
writeLines(R.version.string, "wilcoxon_limit_versions.txt")

# Paired t-test and Wilcoxon signed-rank reference values for effectstudy.prepost_effect.
# Run from this folder:  Rscript paired_tests.R   (base R stats only)
# Tests are of post - pre: t.test(post, pre, paired = TRUE), wilcox.test(post, pre,
# paired = TRUE) with R's defaults (exact when n < 50 and no ties/zeros, otherwise the
# normal approximation with continuity correction; zero differences dropped).
fmt <- function(x) sprintf("%.17g", x)
g <- read.csv("../r_outputs/inputs/dev_gsi_prepost_wide.csv",
              colClasses = c(id = "character", treatment = "character", pre = "numeric", post = "numeric"))
w <- read.csv("../r_outputs/inputs/dev_wellbeing_prepost_wide.csv",
              colClasses = c(id = "character", pre = "numeric", post = "numeric"))
sets <- list(
  list("dev_gsi_prepost", "all", g),
  list("dev_gsi_prepost", "CBT", g[g$treatment == "CBT", ]),
  list("dev_gsi_prepost", "EMDR", g[g$treatment == "EMDR", ]),
  list("dev_wellbeing_prepost", "all", w))
out <- do.call(rbind, lapply(sets, function(s) {
  d <- s[[3]]; d <- d[complete.cases(d$pre, d$post), ]
  tt <- t.test(d$post, d$pre, paired = TRUE)
  wt <- suppressWarnings(wilcox.test(d$post, d$pre, paired = TRUE))
  data.frame(dataset = s[[1]], subset = s[[2]], n = nrow(d),
             t = fmt(tt$statistic), df = fmt(tt$parameter), p = fmt(tt$p.value),
             wilcoxon_v = fmt(wt$statistic), wilcoxon_p = fmt(wt$p.value),
             wilcoxon_method = wt$method)
}))
write.csv(out, "paired_tests.csv", row.names = FALSE, quote = TRUE)
writeLines(R.version.string, "paired_tests_versions.txt")

# Exact-case check (no ties, no zeros, n < 50): differences 1..12 with alternating signs
x <- c(10, 12, 9, 14, 11, 13, 8, 15, 10, 16, 9, 17)
y <- x + c(1, -2, 3, -4, 5, 6, -7, 8, 9, -10, 11, 12) / 2
wt <- wilcox.test(y, x, paired = TRUE)
write.csv(data.frame(wilcoxon_v = fmt(wt$statistic), wilcoxon_p = fmt(wt$p.value),
                     wilcoxon_method = wt$method),
          "paired_tests_exact.csv", row.names = FALSE, quote = TRUE)

# Reference Wilson score intervals: R prop.test without continuity correction.
# Run from the repository root: Rscript tests/reference/stagnation/wilson_prop_test.R
here <- "tests/reference/stagnation"
cases <- data.frame(k = c(81, 15, 0, 1, 5, 29, 3, 50, 1000, 7),
                    n = c(263, 148, 20, 29, 5, 30, 3, 100, 1000000, 7),
                    ci = c(0.95, 0.95, 0.95, 0.95, 0.95, 0.90, 0.99, 0.80, 0.95, 0.95))
lo <- hi <- numeric(nrow(cases))
for (i in seq_len(nrow(cases))) {
  ci <- suppressWarnings(prop.test(cases$k[i], cases$n[i], conf.level = cases$ci[i],
                                   correct = FALSE))$conf.int
  lo[i] <- ci[1]
  hi[i] <- ci[2]
}
cases$ci_low <- lo
cases$ci_high <- hi
write.csv(format(cases, digits = 17), file.path(here, "wilson_prop_test_output.csv"),
          row.names = FALSE, quote = FALSE)

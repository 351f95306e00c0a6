# Reference values for es.signal_accuracy and effectstudy.kernels.roc: R's pROC (auc,
# ci.auc(method = "delong"), coords, roc.test(method = "delong", paired = TRUE)) and
# prop.test(correct = FALSE) (Wilson) on the committed looks.csv / outcome.csv.
# The balanced-accuracy interval is the MOVER-Wilson sum of Zou & Donner (2008), written
# out here from the formula.  Run from the repository root:
#   Rscript tests/reference/signal/signal_proc.R
suppressPackageStartupMessages(library(pROC))
here <- "tests/reference/signal"
looks <- read.csv(file.path(here, "looks.csv"))
out <- read.csv(file.path(here, "outcome.csv"))
out <- out[!is.na(out$poor), ]
d <- merge(looks, out, by = "id")
d <- d[d$t < d$until, ]
d <- d[order(d$id, d$t), ]
ever <- tapply(d$z, d$id, max)
latest <- tapply(d$z, d$id, function(z) z[length(z)])
ids <- names(ever)
poor <- out$poor[match(ids, as.character(out$id))]

wilson <- function(k, n, conf) {
  if (n == 0) return(c(NA, NA))
  suppressWarnings(prop.test(k, n, conf.level = conf, correct = FALSE))$conf.int[1:2]
}
rows <- list()
for (method in c("ever", "latest")) {
  score <- if (method == "ever") ever else latest
  r <- roc(poor, as.numeric(score), levels = c(0, 1), direction = "<", quiet = TRUE)
  for (level in c(0.80, 0.90)) {
    conf <- 0.95
    q <- qnorm(level)
    flag <- as.numeric(score) > q
    tp <- sum(flag & poor == 1); fn <- sum(!flag & poor == 1)
    fp <- sum(flag & poor == 0); tn <- sum(!flag & poor == 0)
    cc <- coords(r, x = q, input = "threshold",
                 ret = c("sensitivity", "specificity", "ppv", "npv"), transpose = TRUE)
    se <- wilson(tp, tp + fn, conf); sp <- wilson(tn, tn + fp, conf)
    pv <- wilson(tp, tp + fp, conf); nv <- wilson(tn, tn + fn, conf)
    p1 <- cc[["sensitivity"]]; p2 <- cc[["specificity"]]
    ba_lo <- (p1 + p2 - sqrt((p1 - se[1])^2 + (p2 - sp[1])^2)) / 2
    ba_hi <- (p1 + p2 + sqrt((se[2] - p1)^2 + (sp[2] - p2)^2)) / 2
    a <- ci.auc(r, conf.level = conf, method = "delong")
    add <- data.frame(method = method, level = level,
      measure = c("sensitivity", "specificity", "ppv", "npv", "balanced_accuracy", "auc"),
      estimate = c(p1, p2, cc[["ppv"]], cc[["npv"]], (p1 + p2) / 2, a[2]),
      ci_low = c(se[1], sp[1], pv[1], nv[1], ba_lo, a[1]),
      ci_high = c(se[2], sp[2], pv[2], nv[2], ba_hi, a[3]),
      k = c(tp, tn, tp, tn, NA, NA), n = c(tp + fn, tn + fp, tp + fp, tn + fn, NA, NA))
    rows[[length(rows) + 1]] <- add
  }
}
res <- do.call(rbind, rows)
res$var_auc <- NA
for (method in c("ever", "latest")) {
  score <- if (method == "ever") ever else latest
  r <- roc(poor, as.numeric(score), levels = c(0, 1), direction = "<", quiet = TRUE)
  res$var_auc[res$method == method & res$measure == "auc"] <- var(r, method = "delong")
}
write.csv(format(res, digits = 17), file.path(here, "signal_proc_output.csv"),
          row.names = FALSE, quote = FALSE)
r1 <- roc(poor, as.numeric(ever), levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(poor, as.numeric(latest), levels = c(0, 1), direction = "<", quiet = TRUE)
tt <- roc.test(r1, r2, method = "delong", paired = TRUE)
cv <- cov(r1, r2, method = "delong")
write.csv(format(data.frame(n_subjects = length(ids), n_cases = sum(poor == 1),
                            auc_ever = as.numeric(auc(r1)), auc_latest = as.numeric(auc(r2)),
                            cov_delong = cv, z = unname(tt$statistic), p = tt$p.value),
                 digits = 17),
          file.path(here, "signal_proc_paired.csv"), row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("pROC", packageVersion("pROC"))),
           file.path(here, "signal_proc_versions.txt"))
# logistic regression of poor on both signals (effectstudy.kernels.roc.logistic_fit, whose
# small ridge penalty of 1e-6 moves the coefficients by far less than the tolerance)
g <- glm(poor ~ as.numeric(ever) + as.numeric(latest), family = binomial,
         control = glm.control(epsilon = 1e-14, maxit = 100))
write.csv(format(data.frame(name = c("intercept", "ever", "latest"), value = unname(coef(g))),
                 digits = 17),
          file.path(here, "signal_glm_output.csv"), row.names = FALSE, quote = FALSE)

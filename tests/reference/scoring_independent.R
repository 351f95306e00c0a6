# Independent re-implementation of the effectstudy scoring rules in base R, used as a reference
# for es.score on larger synthetic matrices (tests/test_scoring.py::test_scores_against_independent_r).
# The keys below are typed from /work/shared/reference/instruments.md (sections 2, 3 and 5), NOT
# read from effectstudy's YAML files; the missing-item limits are effectstudy's documented
# settings (prorate when at most floor(0.2 * n) items of a scale are missing; OQ-45: rounded
# subscale-mean imputation, at most 4 missing items per administration).
# Run from the repository root:  Rscript tests/reference/scoring_independent.R
# Output: tests/reference/scoring_independent_output.csv (client_id, instrument, scale, score).
dir <- "tests/reference"
limit <- function(n) floor(0.2 * n + 1e-9)

scl90r_key <- list(
  SOM = c(1, 4, 12, 27, 40, 42, 48, 49, 52, 53, 56, 58),
  "O-C" = c(3, 9, 10, 28, 38, 45, 46, 51, 55, 65),
  "I-S" = c(6, 21, 34, 36, 37, 41, 61, 69, 73),
  DEP = c(5, 14, 15, 20, 22, 26, 29, 30, 31, 32, 54, 71, 79),
  ANX = c(2, 17, 23, 33, 39, 57, 72, 78, 80, 86),
  HOS = c(11, 24, 63, 67, 74, 81),
  PHOB = c(13, 25, 47, 50, 70, 75, 82),
  PAR = c(8, 18, 43, 68, 76, 83),
  PSY = c(7, 16, 35, 62, 77, 84, 85, 87, 88, 90),
  ADD = c(19, 44, 59, 60, 64, 66, 89)
)
nl_key <- list(
  AGO = c(13, 25, 47, 50, 70, 75, 82),
  ANG = c(2, 17, 23, 33, 39, 57, 72, 78, 80, 86),
  DEP = c(3, 5, 14, 15, 19, 20, 22, 26, 29, 30, 31, 32, 51, 54, 59, 79),
  SOM = c(1, 4, 12, 27, 40, 42, 48, 49, 52, 53, 56, 58),
  IN = c(9, 10, 28, 38, 45, 46, 55, 65, 71),
  SEN = c(6, 7, 8, 18, 21, 34, 35, 36, 37, 41, 43, 61, 68, 69, 73, 76, 83, 88),
  HOS = c(11, 24, 63, 67, 74, 81),
  SLA = c(44, 64, 66),
  OVE = c(16, 60, 62, 77, 84, 85, 87, 89, 90),
  PSNEUR = 1:90
)
oq_key <- list(
  SD = c(2, 3, 5, 6, 8, 9, 10, 11, 13, 15, 22, 23, 24, 25, 27, 29, 31, 33, 34, 35, 36, 40, 41, 42, 45),
  IR = c(1, 7, 16, 17, 18, 19, 20, 26, 30, 37, 43),
  SR = c(4, 12, 14, 21, 28, 32, 38, 39, 44)
)
oq_reverse <- c(1, 12, 13, 20, 21, 24, 31, 37, 43)

cols <- function(items) paste0("item_", items)
long <- function(ids, instrument, scores) {
  do.call(rbind, lapply(names(scores), function(s)
    data.frame(client_id = ids, instrument = instrument, scale = s, score = scores[[s]])))
}

# ---- SCL-90-R: means of answered items; GSI, PST, PSDI
d <- read.csv(file.path(dir, "scoring_items_scl90.csv"), stringsAsFactors = FALSE)
x <- as.matrix(d[, cols(1:90)])
out <- list()
for (s in names(scl90r_key)) {
  m <- x[, cols(scl90r_key[[s]]), drop = FALSE]
  n <- ncol(m); answered <- rowSums(!is.na(m))
  v <- rowSums(m, na.rm = TRUE) / answered
  v[n - answered > limit(n)] <- NA
  out[[s]] <- v
}
answered <- rowSums(!is.na(x)); total <- rowSums(x, na.rm = TRUE); pos <- rowSums(x > 0, na.rm = TRUE)
too_many <- 90 - answered > limit(90)
gsi <- total / answered; gsi[too_many] <- NA
pst <- pos * 90 / answered; pst[too_many] <- NA
psdi <- ifelse(pos > 0, total / pos, NA); psdi[too_many] <- NA
out$GSI <- gsi; out$PST <- pst; out$PSDI <- psdi
res <- long(d$client_id, "scl90r", out)

# ---- Dutch SCL-90: the same matrix coded 1-5 (+1); prorated sums
x1 <- x + 1
out <- list()
for (s in names(nl_key)) {
  m <- x1[, cols(nl_key[[s]]), drop = FALSE]
  n <- ncol(m); answered <- rowSums(!is.na(m))
  v <- rowSums(m, na.rm = TRUE) * n / answered
  v[n - answered > limit(n)] <- NA
  out[[s]] <- v
}
res <- rbind(res, long(d$client_id, "scl90_nl", out))

# ---- OQ-45: reverse 4 - x, impute rounded (half up) subscale mean, at most 4 missing in total
d <- read.csv(file.path(dir, "scoring_items_oq45.csv"), stringsAsFactors = FALSE)
x <- as.matrix(d[, cols(1:45)])
x[, cols(oq_reverse)] <- 4 - x[, cols(oq_reverse)]
miss_total <- rowSums(is.na(x))
out <- list(); filled_total <- rep(0, nrow(x)); bad_total <- miss_total > 4
for (s in names(oq_key)) {
  m <- x[, cols(oq_key[[s]]), drop = FALSE]
  n <- ncol(m); answered <- rowSums(!is.na(m))
  fill <- floor(rowSums(m, na.rm = TRUE) / answered + 0.5)
  v <- rowSums(m, na.rm = TRUE) + (n - answered) * fill
  bad_total <- bad_total | answered == 0
  filled_total <- filled_total + v
  v[n - answered > limit(n) | miss_total > 4] <- NA
  out[[s]] <- v
}
filled_total[bad_total] <- NA
out$total <- filled_total
res <- rbind(res, long(d$client_id, "oq45", out))

write.csv(res, file.path(dir, "scoring_independent_output.csv"), row.names = FALSE)
cat("rows:", nrow(res), " missing scores:", sum(is.na(res$score)), "\n")

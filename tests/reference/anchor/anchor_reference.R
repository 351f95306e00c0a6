# Independent reference values for the anchor-based approach (issue 18).
#
# Base R only.  Run from this folder:   Rscript anchor_reference.R
# Reads  ../r_outputs/inputs/dev_gsi_prepost_wide.csv, ../r_outputs/inputs/dev_wellbeing_prepost_wide.csv,
#        hand_within_wide.csv, hand_between_wide.csv (hand-made, integer scores)
# Writes anchor_individual.csv, anchor_individual_summary.csv, anchor_group_within.csv,
#        anchor_group_between.csv, versions.txt
#
# Everything is coded from the formulas in /work/shared/reference/clinical_significance_methods.md
# section 6 (the peer R package clinicalsignificance 3.0.0, cs_anchor) and from the effectstudy issue 18
# API text; no package code is used (clinicalsignificance is not loaded).

options(stringsAsFactors = FALSE)

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
lgl <- function(x) ifelse(is.na(x), "NA", ifelse(x, "TRUE", "FALSE"))
chr <- function(x) ifelse(is.na(x), "NA", as.character(x))

write_out <- function(df, file) {
  out <- df
  for (col in names(out)) {
    v <- out[[col]]
    out[[col]] <- if (is.logical(v)) lgl(v) else if (is.numeric(v)) num(v) else chr(v)
  }
  write.table(out, file, sep = ",", quote = FALSE, row.names = FALSE, na = "NA")
}

rd <- function(file) read.csv(file, colClasses = "character", na.strings = "NA")

gsi <- rd("../r_outputs/inputs/dev_gsi_prepost_wide.csv")
names(gsi)[names(gsi) == "treatment"] <- "group"
wb <- rd("../r_outputs/inputs/dev_wellbeing_prepost_wide.csv")
wb$group <- NA_character_
hw <- rd("hand_within_wide.csv")
names(hw)[names(hw) == "arm"] <- "group"
hb <- rd("hand_between_wide.csv")
names(hb)[names(hb) == "arm"] <- "group"
for (nm in c("gsi", "wb", "hw", "hb")) {
  d <- get(nm)
  d$pre <- as.numeric(d$pre)
  d$post <- as.numeric(d$post)
  assign(nm, d)
}
data_sets <- list(dev_gsi_prepost = gsi, dev_wellbeing_prepost = wb, hand_within = hw,
                  hand_between = hb)

direction <- function(better_is) if (better_is == "lower") -1 else 1

# ---------------------------------------------------------------------------- individual level
# improved <=> d * change >= MID_imp ; deteriorated <=> d * change <= -MID_det ; inclusive
indiv_cases <- list(
  list(id = "gsi_mid0.3_det0.2", data = "dev_gsi_prepost", better_is = "lower", mid = 0.3, mid_det = 0.2, grouped = TRUE),
  list(id = "gsi_mid0.3", data = "dev_gsi_prepost", better_is = "lower", mid = 0.3, mid_det = NA, grouped = FALSE),
  list(id = "wb_mid12_det8", data = "dev_wellbeing_prepost", better_is = "higher", mid = 12, mid_det = 8, grouped = FALSE),
  list(id = "wb_mid12", data = "dev_wellbeing_prepost", better_is = "higher", mid = 12, mid_det = NA, grouped = FALSE),
  list(id = "hand_higher_mid10_det8", data = "hand_within", better_is = "higher", mid = 10, mid_det = 8, grouped = TRUE),
  list(id = "hand_higher_mid10", data = "hand_within", better_is = "higher", mid = 10, mid_det = NA, grouped = FALSE),
  list(id = "hand_lower_mid10_det8", data = "hand_within", better_is = "lower", mid = 10, mid_det = 8, grouped = TRUE),
  list(id = "hand_lower_mid9", data = "hand_within", better_is = "lower", mid = 9, mid_det = NA, grouped = FALSE)
)

ind_rows <- list()
sum_rows <- list()
for (cs in indiv_cases) {
  d0 <- data_sets[[cs$data]]
  d0 <- d0[!is.na(d0$pre) & !is.na(d0$post), ]           # complete pairs
  dd <- direction(cs$better_is)
  mid_det <- if (is.na(cs$mid_det)) cs$mid else cs$mid_det
  change <- d0$post - d0$pre
  improved <- dd * change >= cs$mid
  deteriorated <- dd * change <= -mid_det
  category <- ifelse(improved, "improved", ifelse(deteriorated, "deteriorated", "unchanged"))
  grp <- if (cs$grouped) d0$group else rep(NA_character_, nrow(d0))
  ind_rows[[cs$id]] <- data.frame(
    case_id = cs$id, dataset = cs$data, better_is = cs$better_is, mid_improvement = cs$mid,
    mid_deterioration = cs$mid_det, id = d0$id, group = grp, pre = d0$pre, post = d0$post,
    change = change, improved = improved, deteriorated = deteriorated, category = category)
  cats <- c("improved", "unchanged", "deteriorated")
  N <- nrow(d0)
  groups <- if (cs$grouped) sort(unique(d0$group)) else NA_character_
  for (g in groups) {
    sel <- if (is.na(g)) rep(TRUE, N) else d0$group == g
    for (k in cats) {
      n <- sum(category[sel] == k)
      sum_rows[[length(sum_rows) + 1]] <- data.frame(
        case_id = cs$id, group = g, category = k, n = n, n_group = sum(sel), n_total = N,
        proportion = n / sum(sel), proportion_total = n / N)
    }
  }
}
write_out(do.call(rbind, ind_rows), "anchor_individual.csv")
write_out(do.call(rbind, sum_rows), "anchor_individual_summary.csv")

# ---------------------------------------------------------------------------- group categories
# effectstudy (issue 18 API), on the improvement scale e = d*est, lo/hi = sorted d*limits
es_category <- function(est, low, high, d, mid) {
  e <- d * est
  lo <- min(d * low, d * high)
  hi <- max(d * low, d * high)
  if (lo <= 0 && 0 <= hi) return("not_significant")
  if (hi < 0) return("significant_deterioration")
  if (0 < lo && hi < mid) return("not_relevant")
  if (lo >= mid) return("large_effect")
  if (lo < mid && mid <= hi && e >= mid) return("probably_relevant")
  if (lo < mid && mid <= hi && e < mid) return("not_beyond_threshold")
  stop("no category: should not happen")
}

# the peer (clinicalsignificance 3.0.0 cs_anchor) as written in clinical_significance_methods.md s. 6,
# on the raw scale with T = d * MID, first matching rule wins, NA when none matches.
# "different sign" / "same sign" are read as sign(lower) != / == sign(upper).
peer_label <- function(est, lower, upper, d, mid) {
  T <- d * mid
  if (d == -1) {
    if (sign(lower) != sign(upper)) return("Statistically not significant")
    if (sign(lower) == sign(upper) && lower > T) return("Statistically significant but not clinically relevant")
    if (upper > T && est > T && lower < T) return("Not significantly less than the threshold")
    if (upper > T && est < T && lower < T) return("Probably clinically significant effect")
    if (upper < T) return("Large clinically significant effect")
    return(NA_character_)
  }
  if (sign(lower) == sign(upper) && upper < T) return("Statistically significant but not clinically relevant")
  if (lower < T && est < T && upper > T) return("Not significantly greater than the threshold")
  if (lower < T && est > T && upper > T) return("Probably clinically significant effect")
  if (lower > T) return("Large clinically significant effect")
  NA_character_
}
peer_map <- c("Statistically not significant" = "not_significant",
              "Statistically significant but not clinically relevant" = "not_relevant",
              "Not significantly less than the threshold" = "not_beyond_threshold",
              "Not significantly greater than the threshold" = "not_beyond_threshold",
              "Probably clinically significant effect" = "probably_relevant",
              "Large clinically significant effect" = "large_effect")

tt_row <- function(tt) {
  data.frame(estimate = unname(tt$estimate[length(tt$estimate)]), ci_low = tt$conf.int[1],
             ci_high = tt$conf.int[2], t = unname(tt$statistic), df = unname(tt$parameter),
             p = tt$p.value)
}

add_categories <- function(row, d, mid, better_is, note = NA_character_) {
  row$better_is <- better_is
  row$mid_improvement <- mid
  row$threshold <- d * mid
  row$category <- es_category(row$estimate, row$ci_low, row$ci_high, d, mid)
  lab <- peer_label(row$estimate, row$ci_low, row$ci_high, d, mid)
  row$peer_label <- lab
  row$peer_category <- if (is.na(lab)) NA_character_ else unname(peer_map[lab])
  row$note <- note
  row
}

# ---------------------------------------------------------------------------- group within
# t.test(post, pre, paired = TRUE, conf.level = ci) over complete pairs, overall and per group
within_cases <- list(
  list(data = "dev_gsi_prepost", better_is = "lower", mids = c(0.1, 0.2, 0.3, 0.5), grouped = c(FALSE, TRUE)),
  list(data = "dev_wellbeing_prepost", better_is = "higher", mids = c(5, 12, 20), grouped = FALSE),
  list(data = "hand_within", better_is = "higher", mids = 10, grouped = TRUE),
  list(data = "hand_within", better_is = "lower", mids = 10, grouped = TRUE)
)
w_rows <- list()
for (wc in within_cases) {
  d0 <- data_sets[[wc$data]]
  d0 <- d0[!is.na(d0$pre) & !is.na(d0$post), ]
  dd <- direction(wc$better_is)
  for (grouped in wc$grouped) for (ci in c(0.95, 0.90)) {
    groups <- if (grouped) sort(unique(d0$group)) else NA_character_
    for (g in groups) {
      s <- if (is.na(g)) d0 else d0[d0$group == g, ]
      tt <- t.test(s$post, s$pre, paired = TRUE, conf.level = ci)
      base <- cbind(data.frame(dataset = wc$data, grouped = grouped, group = g, ci = ci,
                               n = nrow(s)), tt_row(tt))
      for (mid in wc$mids) {
        w_rows[[length(w_rows) + 1]] <- add_categories(base, dd, mid, wc$better_is)
      }
    }
  }
}
within <- do.call(rbind, w_rows)

# exact ties: the MID set to an interval limit R computed (hand data, ci 0.95); the peer's strict
# rules give NA there, effectstudy counts the limit as reaching the MID.
tie_specs <- list(
  list(better_is = "higher", group = "w_p11", limit = "ci_low", note = "mid = ci_low (lo == MID)"),
  list(better_is = "higher", group = "w_p9", limit = "ci_high", note = "mid = ci_high (hi == MID)"),
  list(better_is = "higher", group = "w_p4", limit = "ci_high", note = "mid = ci_high (hi == MID)"),
  list(better_is = "lower", group = "w_m11", limit = "ci_high", note = "mid = -ci_high (lo == MID)"),
  list(better_is = "lower", group = "w_m9", limit = "ci_low", note = "mid = -ci_low (hi == MID)")
)
for (ts in tie_specs) {
  r <- within[within$dataset == "hand_within" & within$better_is == ts$better_is &
                within$group %in% ts$group & within$ci == 0.95 & within$grouped, ][1, ]
  dd <- direction(ts$better_is)
  mid <- dd * r[[ts$limit]]
  base <- r[, c("dataset", "grouped", "group", "ci", "n", "estimate", "ci_low", "ci_high", "t", "df", "p")]
  within <- rbind(within, add_categories(base, dd, mid, ts$better_is, ts$note))
}
within$case_id <- paste0(within$dataset, "__", within$better_is, "__",
                         ifelse(is.na(within$group), "all", within$group), "__ci", within$ci * 100,
                         "__mid", within$mid_improvement, ifelse(is.na(within$note), "", "__tie"))
within <- within[, c("case_id", setdiff(names(within), "case_id"))]
write_out(within, "anchor_group_within.csv")

# ---------------------------------------------------------------------------- group between
# rows at post with a non-missing score (not only complete pairs); Welch t.test(comparison, reference)
between_cases <- list(
  list(data = "dev_gsi_prepost", better_is = "lower", reference = "CBT", mids = c(0.1, 0.3)),
  list(data = "dev_gsi_prepost", better_is = "lower", reference = "EMDR", mids = c(0.1, 0.3)),
  list(data = "hand_between", better_is = "higher", reference = "a_ref", mids = 10),
  list(data = "hand_between", better_is = "lower", reference = "a_ref", mids = 10)
)
b_rows <- list()
for (bc in between_cases) {
  d0 <- data_sets[[bc$data]]
  d0 <- d0[!is.na(d0$post), ]
  dd <- direction(bc$better_is)
  ref <- d0$post[d0$group == bc$reference]
  for (ci in c(0.95, 0.90)) for (g in setdiff(sort(unique(d0$group)), bc$reference)) {
    cmp <- d0$post[d0$group == g]
    tt <- t.test(cmp, ref, conf.level = ci)   # Welch (var.equal = FALSE is the default)
    stopifnot(isTRUE(all.equal(unname(tt$estimate[1] - tt$estimate[2]), mean(cmp) - mean(ref))))
    row <- cbind(data.frame(dataset = bc$data, ci = ci, reference = bc$reference, comparison = g,
                            n_reference = length(ref), n_comparison = length(cmp)),
                 data.frame(estimate = mean(cmp) - mean(ref), ci_low = tt$conf.int[1],
                            ci_high = tt$conf.int[2], t = unname(tt$statistic),
                            df = unname(tt$parameter), p = tt$p.value))
    for (mid in bc$mids) b_rows[[length(b_rows) + 1]] <- add_categories(row, dd, mid, bc$better_is)
  }
}
between <- do.call(rbind, b_rows)
between$case_id <- paste0(between$dataset, "__", between$better_is, "__", between$comparison, "_vs_",
                          between$reference, "__ci", between$ci * 100, "__mid", between$mid_improvement)
between <- between[, c("case_id", setdiff(names(between), "case_id"))]
write_out(between, "anchor_group_between.csv")

writeLines(capture.output(sessionInfo()), "versions.txt")

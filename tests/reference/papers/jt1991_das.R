# Independent reference for the Jacobson & Truax (1991) Table 2 example (Dyadic Adjustment
# Scale, 30 couples, pre/post; higher is better).  Base R only; writes jt1991_das_output.csv.
#   Rscript tests/reference/papers/jt1991_das.R
# Data: jt1991_table2_das.csv, transcription of JT 1991 Table 2 published in
#   github.com/AWKruijt/JT-RCI, data/"J&T 1991 table2 DAS data.csv" (commit c84713591cc5).
# Norms: Spanier (1976) DAS total: married M = 114.8, SD = 17.8; divorced M = 70.7, SD = 23.8.
# Reliability 0.84 as in the JT-RCI example on these data.
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "jt1991_table2_das.csv"))
rel <- 0.84; z <- qnorm(0.975)
m_pre <- mean(d$pre); sd_pre <- sd(d$pre)
s_diff <- sqrt(2 * (sd_pre * sqrt(1 - rel))^2)
rci <- (d$post - d$pre) / s_diff
rc <- ifelse(rci > z, "improved", ifelse(rci < -z, "deteriorated", "unchanged"))
cut_c <- function(mc, sc, mf, sf) (sc * mf + sf * mc) / (sc + sf)
c_sample <- cut_c(m_pre, sd_pre, 114.8, 17.8)
c_spanier <- cut_c(70.7, 23.8, 114.8, 17.8)
cat5 <- function(cut) {
  clin_pre <- d$pre < cut; func_post <- d$post > cut
  ifelse(rc == "improved" & clin_pre & func_post, "recovered",
  ifelse(rc == "improved", "improved",
  ifelse(rc == "deteriorated" & !clin_pre & !func_post, "harmed",
  ifelse(rc == "deteriorated", "deteriorated", "unchanged"))))
}
out <- data.frame(ppid = d$ppid, pre = d$pre, post = d$post, rci = rci, rc_category = rc,
                  category_c_sample = cat5(c_sample), category_c_spanier = cat5(c_spanier))
write.csv(out, file.path(here, "jt1991_das_output.csv"), row.names = FALSE)
scal <- data.frame(name = c("m_pre", "sd_pre", "s_diff", "rc_points", "cutoff_c_sample",
                            "cutoff_c_spanier", "cutoff_a_sample", "cutoff_b_spanier"),
                   value = c(m_pre, sd_pre, s_diff, z * s_diff, c_sample, c_spanier,
                             m_pre + 2 * sd_pre, 114.8 - 2 * 17.8))
write.csv(scal, file.path(here, "jt1991_das_scalars.csv"), row.names = FALSE)
print(format(scal, digits = 17)); print(table(out$category_c_sample)); print(table(out$category_c_spanier))

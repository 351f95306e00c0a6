# Reference values for effectstudy.reliability: Cronbach's alpha and Feldt's 95% CI from
# psych::alpha (R 4.2.2, psych 2.2.9, Debian packages r-base-core and r-cran-psych).
# Run from the repository root:  Rscript tests/reference/reliability_psych_alpha.R
# Output: tests/reference/reliability_psych_alpha_output.csv (and the printed alpha objects
# in reliability_psych_alpha_output.txt).  Input: the committed synthetic CSVs.
# Independent of effectstudy: the intake rows, the reversal of CORE-10 items 2 and 3
# (4 - raw; CamCOPS core10.py) and listwise deletion are done here by hand.
suppressPackageStartupMessages(library(psych))
dir <- "tests/reference"
sink(file.path(dir, "reliability_psych_alpha_output.txt"))
cat("R:", R.version.string, " psych:", as.character(packageVersion("psych")), "\n\n")

run <- function(name, file, items, reverse = integer(0), item_max = 4) {
  d <- read.csv(file.path(dir, file), stringsAsFactors = FALSE)
  d <- d[d$occasion == "pre", ]
  x <- d[, paste0("item_", items)]
  for (i in reverse) x[[paste0("item_", i)]] <- item_max - x[[paste0("item_", i)]]
  x <- na.omit(x)
  a <- psych::alpha(x)
  cat("==", name, "\n"); print(a$total); print(a$feldt); cat("\n")
  data.frame(case = name, n = nrow(x), n_items = ncol(x),
             raw_alpha = a$total$raw_alpha,
             feldt_lower = as.numeric(a$feldt$lower.ci), feldt_upper = as.numeric(a$feldt$upper.ci))
}

out <- rbind(
  run("core10_total", "reliability_core10_items.csv", 1:10, reverse = c(2, 3), item_max = 4),
  run("gad7_total", "reliability_gad7_items.csv", 1:7, item_max = 3)
)
print(out, digits = 12)
sink()
write.csv(out, file.path(dir, "reliability_psych_alpha_output.csv"), row.names = FALSE)

# Timing and fit of lme4 on the benchmark data of benchmarks/bench_outcomes.py
# (100,000 patients x 4 measurements).  Write the data first:
#   .venv/bin/python -c "import sys; sys.path.insert(0, 'benchmarks'); from bench_outcomes import waves_long; \
#     waves_long(100_000).to_csv('/tmp/hlm100k_occ.csv', index=False); \
#     waves_long(100_000, jitter=True).to_csv('/tmp/hlm100k.csv', index=False)"
# then: Rscript tests/reference/hlm_lme4/lme4_timing_100k.R > tests/reference/hlm_lme4/lme4_timing_100k.txt
suppressPackageStartupMessages(library(lme4))
for (f in c("/tmp/hlm100k_occ.csv", "/tmp/hlm100k.csv")) {
  d <- read.csv(f)
  t0 <- proc.time()[["elapsed"]]
  m <- lmer(gsi ~ occasion + (occasion | id), data = d, REML = TRUE)
  r <- ranef(m, condVar = TRUE)
  cat(f, "lmer+ranef seconds:", round(proc.time()[["elapsed"]] - t0, 1), " REML:", sprintf("%.10f", REMLcrit(m)), " fixef time:", sprintf("%.10g", fixef(m)[2]), " sd slope:", sprintf("%.10g", as.data.frame(VarCorr(m))$sdcor[2]), "\n")
}

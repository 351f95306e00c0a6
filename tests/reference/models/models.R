# Reference values for effectstudy.models (es.ancova, es.mixed_prepost).
# Run from this folder:  Rscript models.R
# Input: models_input.csv (long: id, time = pre/post, score, group, age, care_type), made by
# make_data.py.  Nothing here uses effectstudy.  Numbers are written with %.17g.
#
# Models (subjects as in effectstudy: the pre row's group/covariates):
#   "a": lm(post ~ pre + group)                       complete pre/post pairs
#   "b": lm(post ~ pre + group + age + care_type)     complete pairs with age
# for each: car::Anova type 2 and 3 (contr.sum), anova() type 1, emmeans(fit, "group") and
# pairs(adjust = none/bonferroni/holm) with confint(), car::leveneTest(resid ~ group, center = mean),
# shapiro.test(resid), slopes homogeneity anova(fit, update(fit, . ~ . + pre:group)).
# Mixed models (all available measurements, time coded pre = 0, post = 1, REML,
# treatment contrasts as R's default, tight bobyqa):
#   "a": lmer(score ~ time * group + (1 | id))
#   "b": lmer(score ~ time * group + age + care_type + (1 | id))
#   "n": lmer(score ~ time + (1 | id))
suppressPackageStartupMessages({library(car); library(emmeans); library(lme4)})
fmt <- function(x) sprintf("%.17g", x)
d <- read.csv("models_input.csv", stringsAsFactors = FALSE,
              colClasses = c(id = "character", time = "character", score = "numeric",
                             group = "character", age = "numeric", care_type = "character"))
pre <- d[d$time == "pre", ]
post <- d[d$time == "post", c("id", "score")]
w <- merge(pre, post, by = "id", suffixes = c("_pre", "_post"))
names(w)[names(w) == "score_pre"] <- "pre"
names(w)[names(w) == "score_post"] <- "post"
w <- w[!is.na(w$pre) & !is.na(w$post), ]
w$group <- factor(w$group)          # levels sorted: anxiety, depression, ptsd
w$care_type <- factor(w$care_type)
options(contrasts = c("contr.sum", "contr.poly"))

forms <- list(a = post ~ pre + group, b = post ~ pre + group + age + care_type)
anova_rows <- list(); emm_rows <- list(); pair_rows <- list(); ass_rows <- list(); n_rows <- list()
for (m in names(forms)) {
  fit <- lm(forms[[m]], data = w)
  n_rows[[m]] <- data.frame(model = m, n_used = nobs(fit), df_resid = df.residual(fit),
                            sigma = fmt(sigma(fit)))
  for (ty in 1:3) {
    a <- if (ty == 1) anova(fit) else car::Anova(fit, type = ty)
    ss <- if (ty == 1) a[["Sum Sq"]] else a[["Sum Sq"]]
    anova_rows[[length(anova_rows) + 1]] <- data.frame(
      model = m, ss_type = ty, term = rownames(a), ss = fmt(ss), df = a[["Df"]],
      f = fmt(a[["F value"]]), p = fmt(a[["Pr(>F)"]]))
  }
  e <- emmeans(fit, "group")
  es <- as.data.frame(summary(e, infer = c(TRUE, FALSE), level = 0.95))
  emm_rows[[m]] <- data.frame(model = m, group = es$group, emmean = fmt(es$emmean),
                              se = fmt(es$SE), df = es$df, lower = fmt(es$lower.CL),
                              upper = fmt(es$upper.CL))
  e90 <- as.data.frame(summary(e, infer = c(TRUE, FALSE), level = 0.90))
  emm_rows[[paste0(m, "90")]] <- data.frame(model = paste0(m, "_ci90"), group = e90$group,
                              emmean = fmt(e90$emmean), se = fmt(e90$SE), df = e90$df,
                              lower = fmt(e90$lower.CL), upper = fmt(e90$upper.CL))
  for (adj in c("none", "bonferroni", "holm")) {
    p <- as.data.frame(pairs(e, adjust = adj))
    ci <- as.data.frame(confint(pairs(e, adjust = adj), level = 0.95))
    pair_rows[[length(pair_rows) + 1]] <- data.frame(
      model = m, adjust = adj, contrast = p$contrast, estimate = fmt(p$estimate),
      se = fmt(p$SE), df = p$df, t = fmt(p$t.ratio), p = fmt(p$p.value),
      lower = fmt(ci$lower.CL), upper = fmt(ci$upper.CL))
  }
  r <- resid(fit)
  lev <- car::leveneTest(r ~ model.frame(fit)$group, center = mean)
  sw <- shapiro.test(r)
  big <- update(fit, . ~ . + pre:group)
  sl <- anova(fit, big)
  ass_rows[[m]] <- data.frame(
    model = m, test = c("slopes_homogeneity", "levene", "shapiro_wilk"),
    statistic = fmt(c(sl$F[2], lev[["F value"]][1], sw$statistic)),
    df1 = c(sl$Df[2], lev$Df[1], NA), df2 = c(sl$Res.Df[2], lev$Df[2], NA),
    p = fmt(c(sl[["Pr(>F)"]][2], lev[["Pr(>F)"]][1], sw$p.value)))
}
write.csv(do.call(rbind, anova_rows), "ancova_anova.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, emm_rows), "ancova_emmeans.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, pair_rows), "ancova_pairs.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, ass_rows), "ancova_assumptions.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, n_rows), "ancova_n.csv", row.names = FALSE, quote = FALSE)

# ---- mixed models -------------------------------------------------------------------------
options(contrasts = c("contr.treatment", "contr.poly"))
ld <- d[!is.na(d$score), ]
subj <- pre[, c("id", "group", "age", "care_type")]
# subjects without a pre row take the post row's group/covariates
extra <- d[d$time == "post" & !(d$id %in% pre$id), c("id", "group", "age", "care_type")]
subj <- rbind(subj, extra)
ld <- merge(ld[, c("id", "time", "score")], subj, by = "id")
ld$time <- as.numeric(ld$time == "post")
ld$group <- factor(ld$group)
ld$care_type <- factor(ld$care_type)
ctl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5))
mforms <- list(a = score ~ time * group + (1 | id),
               b = score ~ time * group + age + care_type + (1 | id),
               n = score ~ time + (1 | id))
fe_rows <- list(); vc_rows <- list(); misc_rows <- list()
for (m in names(mforms)) {
  mm <- lmer(mforms[[m]], data = ld, REML = TRUE, control = ctl)
  cf <- summary(mm)$coefficients
  fe_rows[[m]] <- data.frame(model = m, term = rownames(cf), estimate = fmt(cf[, 1]),
                             se = fmt(cf[, 2]), z = fmt(cf[, 3]),
                             p = fmt(2 * pnorm(-abs(cf[, 3]))))
  vc <- as.data.frame(VarCorr(mm))
  vc_rows[[m]] <- data.frame(model = m, grp = vc$grp, variance = fmt(vc$vcov), sd = fmt(vc$sdcor))
  idx <- grep(":group", rownames(cf))
  if (length(idx)) {
    b <- fixef(mm)[idx]; V <- as.matrix(vcov(mm))[idx, idx]
    chi <- as.numeric(t(b) %*% solve(V) %*% b)
  } else chi <- NA
  misc_rows[[m]] <- data.frame(model = m, n_obs = nobs(mm), n_ids = ngrps(mm)[["id"]],
                               reml_criterion = fmt(REMLcrit(mm)),
                               wald_chi2_interaction = fmt(chi), wald_df = length(idx),
                               wald_p = fmt(if (length(idx)) pchisq(chi, length(idx), lower.tail = FALSE) else NA),
                               singular = isSingular(mm))
}
write.csv(do.call(rbind, fe_rows), "mixed_fixef.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, vc_rows), "mixed_varcorr.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, misc_rows), "mixed_misc.csv", row.names = FALSE, quote = FALSE)

si <- sessionInfo()
writeLines(c(R.version.string,
             paste(c("car", "carData", "emmeans", "lme4", "Matrix"),
                   sapply(c("car", "carData", "emmeans", "lme4", "Matrix"),
                          function(p) as.character(packageVersion(p)))),
             "", capture.output(print(si))), "models_versions.txt")

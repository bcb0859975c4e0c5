# Reference values for helpers.survival and helpers.subgroups.
#
# Run from the repository root:   Rscript tests/reference/survival.R
# Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
# Writes datasets (CSV) and reference values (17 significant digits, "NA" for
# missing) into tests/reference/survival/.  The bmt.csv dataset is exported once
# from scikit-survival (sksurv.datasets.load_bmt) and only read here.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
out <- file.path("tests", "reference", "survival")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

fmt <- function(df) {
  for (nm in names(df)) {
    if (is.numeric(df[[nm]])) {
      v <- df[[nm]]
      df[[nm]] <- ifelse(is.na(v), "NA", sprintf("%.17g", v))
    }
  }
  df
}
wcsv <- function(df, name) {
  write.csv(fmt(df), file.path(out, name), row.names = FALSE, quote = FALSE)
}
strip_strata <- function(s) sub("^.*?=", "", s)

# ---------------------------------------------------------------- datasets
aml_df <- data.frame(time = aml$time, status = aml$status, x = as.character(aml$x))
wcsv(aml_df, "aml.csv")

myeloid_df <- with(myeloid, data.frame(
  id = id, trt = as.character(trt), sex = as.character(sex),
  futime = futime, death = death,
  # competing risks: relapse (1) before death without relapse (2)
  rel_time = ifelse(is.na(rltime), futime, rltime),
  rel_status = ifelse(!is.na(rltime), 1L, ifelse(death == 1, 2L, 0L))
))
wcsv(myeloid_df, "myeloid.csv")

lung_df <- with(lung, data.frame(
  time = time, status = status - 1L, age = age,
  sex = ifelse(sex == 1, "Male", "Female"),
  # ECOG 3 (one patient) merged with 2 so every level carries events
  ph_ecog = ifelse(is.na(ph.ecog), NA, ifelse(ph.ecog >= 2, "2+", as.character(ph.ecog)))
))
wcsv(lung_df, "lung.csv")

bmt_df <- read.csv(file.path(out, "bmt.csv"))

# Heavy ties: integer times on 1..40, censoring times on the same grid (so
# censoring coincides with events), three groups, two strata.
set.seed(20240501)
n <- 300
group <- sample(c("A", "B", "C"), n, TRUE)
strat <- sample(c("s1", "s2"), n, TRUE)
x <- round(rnorm(n), 2)
rate <- 0.04 * c(A = 1, B = 1.6, C = 0.7)[group] * ifelse(strat == "s2", 1.8, 1) * exp(0.3 * x)
ev_t <- ceiling(rexp(n, rate))
cens_t <- sample(5:40, n, TRUE)
sim_ties <- data.frame(
  time = pmin(ev_t, cens_t), status = as.integer(ev_t <= cens_t),
  group = group, strat = strat, x = x
)
wcsv(sim_ties, "sim_ties.csv")

# One arm without any event.
set.seed(20240502)
n <- 60
arm <- rep(c("Control", "Sorafenib"), each = n / 2)
t_ev <- rexp(n, 0.1)
t_c <- runif(n, 2, 20)
status <- as.integer(t_ev <= t_c)
status[arm == "Sorafenib"] <- 0L
sim_noevents <- data.frame(time = round(pmin(t_ev, t_c), 2), status = status, arm = arm,
                           x = round(rnorm(n), 2))
wcsv(sim_noevents, "sim_noevents.csv")

# The curve of group "flat" lies exactly at 0.5 between t = 3 and t = 5: R's
# median is the midpoint 4.  Group "high" never reaches 0.5.
sim_half <- data.frame(
  time   = c(1, 2, 3, 4, 5, 6,   1, 2, 3, 4, 5, 6),
  status = c(1, 1, 1, 0, 1, 0,   1, 0, 0, 0, 0, 0),
  group  = c(rep("flat", 6), rep("high", 6))
)
wcsv(sim_half, "sim_half.csv")

# Subgroup data: two arms, competing risks (1 = relapse, 2 = NRM), a diagnosis
# with missing values, and a "rare" risk level with no relapse in one arm.
set.seed(20240503)
n <- 500
arm <- sample(c("Control", "Sorafenib maintenance"), n, TRUE)
diag <- sample(c("AML", "ALL", "MDS"), n, TRUE, prob = c(0.6, 0.25, 0.15))
diag[sample(n, 20)] <- NA
sex <- sample(c("F", "M"), n, TRUE)
risk <- sample(c("high", "low"), n, TRUE)
risk[sample(n, 12)] <- "rare"
r1 <- 0.08 * ifelse(arm == "Sorafenib maintenance", 0.6, 1) *
  ifelse(!is.na(diag) & diag == "ALL", 1.5, 1) * ifelse(risk == "high", 1.4, 1)
r2 <- 0.03
t1 <- rexp(n, r1); t2 <- rexp(n, r2); tc <- runif(n, 1, 30)
time <- round(pmin(t1, t2, tc), 1)
status <- ifelse(tc <= pmin(t1, t2), 0L, ifelse(t1 <= t2, 1L, 2L))
time[time == 0] <- 0.1
rare_sor <- risk == "rare" & arm == "Sorafenib maintenance"
status[rare_sor & status == 1L] <- 0L
sim_subgroup <- data.frame(time = time, status = status, arm = arm, diag = diag,
                           sex = sex, risk = risk)
wcsv(sim_subgroup, "sim_subgroup.csv")

# A legitimate large coefficient: a covariate on a fraction scale (0 to 0.3) with a
# true log hazard ratio of 15 per unit (HR about 90 over its range); nothing diverges.
set.seed(20240504)
n <- 300
frac <- round(runif(n, 0, 0.3), 4)
grp <- sample(c("a", "b"), n, TRUE)
ev_t <- rexp(n, 0.02 * exp(15 * frac) * ifelse(grp == "b", 1.3, 1))
cens_t <- runif(n, 5, 60)
sim_frac <- data.frame(time = round(pmin(ev_t, cens_t), 3), status = as.integer(ev_t <= cens_t),
                       frac = frac, grp = grp)
# A count covariate (prior lines of therapy, 0-3) for a numeric x factor interaction.  In
# group b no patient with exactly one prior line has an event, so the product column
# lines:grp[b] equals 1 exactly on event-free rows: only a factor x factor cell without
# events makes a coefficient infinite, this one is finite.
set.seed(20240505)
lines <- sample(0:3, n, TRUE)
lines[grp == "b" & sim_frac$status == 1L & lines == 1L] <- 2L
sim_frac$lines <- lines
wcsv(sim_frac, "sim_frac.csv")

# ---------------------------------------------------------------- survfit
km_full <- function(fit, case) {
  s <- summary(fit, censored = TRUE)
  grp <- if (is.null(s$strata)) rep("all", length(s$time)) else strip_strata(as.character(s$strata))
  data.frame(case = case, group = grp, time = s$time, estimate = s$surv,
             std_error = s$std.err, conf_low = s$lower, conf_high = s$upper,
             n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor)
}
km_times <- function(fit, times, case) {
  s <- summary(fit, times = times)
  grp <- if (is.null(s$strata)) rep("all", length(s$time)) else strip_strata(as.character(s$strata))
  data.frame(case = case, group = grp, time = s$time, estimate = s$surv,
             std_error = s$std.err, conf_low = s$lower, conf_high = s$upper,
             n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor)
}
med_tab <- function(fit, case) {
  tb <- summary(fit)$table
  if (is.null(dim(tb))) tb <- t(as.matrix(tb))
  grp <- if (is.null(rownames(tb))) "all" else strip_strata(rownames(tb))
  lcl <- grep("LCL$", colnames(tb)); ucl <- grep("UCL$", colnames(tb))
  data.frame(case = case, group = grp, median = tb[, "median"],
             conf_low = tb[, lcl], conf_high = tb[, ucl])
}

fits <- list(
  aml_loglog    = survfit(Surv(time, status) ~ x, aml_df, conf.type = "log-log"),
  aml_log       = survfit(Surv(time, status) ~ x, aml_df, conf.type = "log"),
  aml_plain     = survfit(Surv(time, status) ~ x, aml_df, conf.type = "plain"),
  aml_loglog_90 = survfit(Surv(time, status) ~ x, aml_df, conf.type = "log-log", conf.int = 0.90),
  myeloid_trt   = survfit(Surv(futime, death) ~ trt, myeloid_df, conf.type = "log-log"),
  lung_all      = survfit(Surv(time, status) ~ 1, lung_df, conf.type = "log-log"),
  ties_group    = survfit(Surv(time, status) ~ group, sim_ties, conf.type = "log-log"),
  ties_group_log = survfit(Surv(time, status) ~ group, sim_ties, conf.type = "log"),
  noevents_arm  = survfit(Surv(time, status) ~ arm, sim_noevents, conf.type = "log-log"),
  half_group    = survfit(Surv(time, status) ~ group, sim_half, conf.type = "log-log"),
  half_group_log = survfit(Surv(time, status) ~ group, sim_half, conf.type = "log")
)
wcsv(do.call(rbind, lapply(names(fits), function(k) km_full(fits[[k]], k))), "km_full.csv")
wcsv(do.call(rbind, lapply(names(fits), function(k) med_tab(fits[[k]], k))), "km_median.csv")

landmarks <- list(
  aml_loglog   = c(0, 10, 20, 30, 40),
  aml_plain    = c(5, 12, 30),
  myeloid_trt  = c(0, 100, 365, 730, 1000, 1500),
  lung_all     = c(90, 180, 365, 730),
  ties_group   = c(1, 5, 10, 20, 30),
  noevents_arm = c(2, 5, 10)
)
wcsv(do.call(rbind, lapply(names(landmarks), function(k) km_times(fits[[k]], landmarks[[k]], k))),
     "km_times.csv")

# Median follow-up: reverse Kaplan-Meier (censoring is the event).
rev_fits <- list(
  myeloid_trt_loglog = survfit(Surv(futime, 1 - death) ~ trt, myeloid_df, conf.type = "log-log"),
  myeloid_trt_log    = survfit(Surv(futime, 1 - death) ~ trt, myeloid_df),
  lung_all_loglog    = survfit(Surv(time, 1 - status) ~ 1, lung_df, conf.type = "log-log"),
  ties_group_loglog  = survfit(Surv(time, 1 - status) ~ group, sim_ties, conf.type = "log-log")
)
wcsv(do.call(rbind, lapply(names(rev_fits), function(k) med_tab(rev_fits[[k]], k))),
     "median_follow_up.csv")

# ---------------------------------------------------------------- survdiff
lr <- function(sd, case) {
  # degrees of freedom as print.survdiff: groups with expected > 0, minus one
  etmp <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- sum(etmp > 0) - 1L
  data.frame(case = case, statistic = sd$chisq, df = df,
             p_value = pchisq(sd$chisq, df, lower.tail = FALSE))
}
lrs <- rbind(
  lr(survdiff(Surv(time, status) ~ x, aml_df), "aml_x"),
  lr(survdiff(Surv(futime, death) ~ trt, myeloid_df), "myeloid_trt"),
  lr(survdiff(Surv(futime, death) ~ trt + strata(sex), myeloid_df), "myeloid_trt_strata_sex"),
  lr(survdiff(Surv(time, status) ~ group, sim_ties), "ties_group"),
  lr(survdiff(Surv(time, status) ~ group + strata(strat), sim_ties), "ties_group_strata"),
  lr(survdiff(Surv(time, status) ~ sex + strata(ph_ecog), lung_df), "lung_sex_strata_ecog"),
  lr(survdiff(Surv(time, status) ~ arm, sim_noevents), "noevents_arm")
)
wcsv(lrs, "logrank.csv")

# ---------------------------------------------------------------- coxph
# Term names follow helpers.survival: COL[level] for factors, COL for numbers.
rename_terms <- function(nm, factors) {
  for (f in factors) nm <- gsub(paste0("(^|:)", f, "([^:]+)"), paste0("\\1", f, "[\\2]"), nm)
  nm
}
cox_tab <- function(fit, case, factors) {
  s <- summary(fit, conf.int = 0.95)$coefficients
  ci <- summary(fit, conf.int = 0.95)$conf.int
  data.frame(case = case, term = rename_terms(rownames(s), factors),
             coef = s[, "coef"], std_error = s[, "se(coef)"], hr = s[, "exp(coef)"],
             conf_low = ci[, "lower .95"], conf_high = ci[, "upper .95"],
             statistic = s[, "z"], p_value = s[, "Pr(>|z|)"])
}
zph_tab <- function(fit, case) {
  z <- cox.zph(fit)$table
  data.frame(case = case, term = rownames(z), statistic = z[, "chisq"], df = z[, "df"],
             p_value = z[, "p"])
}
cfits <- list(
  lung_age_sex_ecog = list(coxph(Surv(time, status) ~ age + sex + ph_ecog, lung_df, ties = "efron"),
                           c("sex", "ph_ecog")),
  myeloid_trt_sex   = list(coxph(Surv(futime, death) ~ trt + sex, myeloid_df, ties = "efron"),
                           c("trt", "sex")),
  ties_group_x      = list(coxph(Surv(time, status) ~ group + x, sim_ties, ties = "efron"),
                           c("group")),
  ties_group_x_strata = list(coxph(Surv(time, status) ~ group + x + strata(strat), sim_ties, ties = "efron"),
                             c("group")),
  aml_x             = list(coxph(Surv(time, status) ~ x, aml_df, ties = "efron"), c("x")),
  subgroup_arm_diag = list(coxph(Surv(time, status == 1) ~ arm * diag, sim_subgroup, ties = "efron"),
                           c("arm", "diag")),
  frac_large_coef   = list(coxph(Surv(time, status) ~ frac + grp, sim_frac, ties = "efron"),
                           c("grp")),
  lines_by_grp      = list(coxph(Surv(time, status) ~ lines * grp, sim_frac, ties = "efron"),
                           c("grp"))
)
wcsv(do.call(rbind, lapply(names(cfits), function(k) cox_tab(cfits[[k]][[1]], k, cfits[[k]][[2]]))),
     "coxph.csv")
wcsv(do.call(rbind, lapply(names(cfits), function(k) zph_tab(cfits[[k]][[1]], k))), "cox_zph.csv")

# The same models with Breslow's approximation for ties (SAS PHREG's default), refitted with
# coxph(ties = "breslow") on the same formula and data; cox.zph uses the fit's ties method.
bfits <- lapply(cfits, function(f) list(update(f[[1]], ties = "breslow"), f[[2]]))
wcsv(do.call(rbind, lapply(names(bfits), function(k) cox_tab(bfits[[k]][[1]], k, bfits[[k]][[2]]))),
     "coxph_breslow.csv")
wcsv(do.call(rbind, lapply(names(bfits), function(k) zph_tab(bfits[[k]][[1]], k))), "cox_zph_breslow.csv")
# Log partial likelihoods (null, fitted) of both methods: fit$loglik
ll_tab <- function(fits, ties) do.call(rbind, lapply(names(fits), function(k)
  data.frame(case = k, ties = ties, loglik_null = fits[[k]][[1]]$loglik[1],
             loglik = fits[[k]][[1]]$loglik[2])))
wcsv(rbind(ll_tab(cfits, "efron"), ll_tab(bfits, "breslow")), "coxph_loglik.csv")

# ---------------------------------------------------------------- subgroups
# crr is run to convergence (gtol = 1e-12; its default 1e-6 stops early) so that the
# values are the maximiser, not one stopping point of one algorithm.
wald <- function(b, V) {
  st <- drop(t(b) %*% solve(V, b))
  c(statistic = st, df = length(b), p_value = pchisq(st, length(b), lower.tail = FALSE))
}
sub_cox <- function(d, sg, case) {
  d <- d[!is.na(d[[sg]]), ]
  rows <- list()
  for (lv in sort(unique(d[[sg]]))) {
    dd <- d[d[[sg]] == lv, ]
    f <- suppressWarnings(coxph(Surv(time, status == 1) ~ arm, dd, ties = "efron"))
    s <- summary(f)
    rows[[lv]] <- data.frame(case = case, subgroup = sg, level = lv,
      estimate = s$conf.int[1, "exp(coef)"], conf_low = s$conf.int[1, "lower .95"],
      conf_high = s$conf.int[1, "upper .95"], p_value = s$coefficients[1, "Pr(>|z|)"])
  }
  r <- do.call(rbind, rows)
  fi <- coxph(as.formula(paste("Surv(time, status == 1) ~ arm *", sg)), d, ties = "efron")
  k <- grep(":", names(coef(fi)))
  r$p_interaction <- wald(coef(fi)[k], vcov(fi)[k, k, drop = FALSE])[["p_value"]]
  r
}
sub_crr <- function(d, sg, case) {
  d <- d[!is.na(d[[sg]]), ]
  rows <- list()
  for (lv in sort(unique(d[[sg]]))) {
    dd <- d[d[[sg]] == lv, ]
    cv <- model.matrix(~ arm, dd)[, -1, drop = FALSE]
    f <- crr(dd$time, dd$status, cv, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100)
    b <- f$coef[1]; se <- sqrt(f$var[1, 1]); z <- qnorm(0.975)
    rows[[lv]] <- data.frame(case = case, subgroup = sg, level = lv,
      estimate = exp(b), conf_low = exp(b - z * se), conf_high = exp(b + z * se),
      p_value = 2 * pnorm(-abs(b / se)))
  }
  r <- do.call(rbind, rows)
  mm <- model.matrix(as.formula(paste("~ arm *", sg)), d)[, -1, drop = FALSE]
  fi <- crr(d$time, d$status, mm, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100)
  k <- grep(":", colnames(mm))
  r$p_interaction <- wald(fi$coef[k], fi$var[k, k, drop = FALSE])[["p_value"]]
  r
}
overall_cox <- function(d, case) {
  s <- summary(coxph(Surv(time, status == 1) ~ arm, d, ties = "efron"))
  data.frame(case = case, subgroup = "Overall", level = "Overall",
             estimate = s$conf.int[1, "exp(coef)"], conf_low = s$conf.int[1, "lower .95"],
             conf_high = s$conf.int[1, "upper .95"], p_value = s$coefficients[1, "Pr(>|z|)"],
             p_interaction = NA)
}
overall_crr <- function(d, case) {
  cv <- model.matrix(~ arm, d)[, -1, drop = FALSE]
  f <- crr(d$time, d$status, cv, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100)
  b <- f$coef[1]; se <- sqrt(f$var[1, 1]); z <- qnorm(0.975)
  data.frame(case = case, subgroup = "Overall", level = "Overall", estimate = exp(b),
             conf_low = exp(b - z * se), conf_high = exp(b + z * se),
             p_value = 2 * pnorm(-abs(b / se)), p_interaction = NA)
}
# The "rare" risk level has no relapse in the Sorafenib arm: its HR is not estimable
# (coxph: "coefficient may be infinite"), so helpers.subgroups reports it as NaN and runs
# the interaction test without it.  The reference is therefore the fits on the patients
# of the other levels: within "high" and "low", and arm * risk on both together.
no_rare <- sim_subgroup[sim_subgroup$risk != "rare", ]
sg_ref <- rbind(
  overall_cox(sim_subgroup, "cox"),
  sub_cox(sim_subgroup, "diag", "cox"),
  sub_cox(sim_subgroup, "sex", "cox"),
  sub_cox(no_rare, "risk", "cox"),
  overall_crr(sim_subgroup, "fine_gray"),
  sub_crr(sim_subgroup, "diag", "fine_gray"),
  sub_crr(sim_subgroup, "sex", "fine_gray"),
  sub_crr(no_rare, "risk", "fine_gray")
)
wcsv(sg_ref, "subgroups.csv")

# Counts per subgroup level and arm (patients, cause-1 events, missing values).
cnt <- do.call(rbind, lapply(c("diag", "sex", "risk"), function(sg) {
  d <- sim_subgroup[!is.na(sim_subgroup[[sg]]), ]
  a <- aggregate(cbind(n = 1, events = status == 1) ~ lv + arm,
                 data.frame(lv = d[[sg]], arm = d$arm, status = d$status), sum)
  data.frame(subgroup = sg, level = a$lv, arm = a$arm, n = a$n, events = a$events,
             n_missing = sum(is.na(sim_subgroup[[sg]])))
}))
wcsv(cnt, "subgroup_counts.csv")

cat("written to", out, "\n")

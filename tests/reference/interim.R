# Reference values for the interim analysis (helpers.stats gray_z and logrank_z, and the conditional
# power, predictive power and repeated confidence interval of helpers.analysis.interim).
# R 4.2.2, survival 3.5-3, cmprsk 2.2-11, rpact 3.3.4. Run from the project root:
#   Rscript tests/reference/interim.R
# Writes tests/reference/interim/signed.csv and tests/reference/interim/monitoring.json.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(rpact)
})
out_dir <- "tests/reference/interim"

# --- signed two-sample statistics --------------------------------------------------------------
# Gray's score of the first group and its variance, exactly as cmprsk::cuminc computes them
# (its Fortran routine crstm); cuminc reports only stat = s^2 / v. The signed statistic is
# z = -s / sqrt(v): positive when the second group has the higher cumulative incidence.
gray_score <- function(ftime, fstatus, group, cause, rho = 0) {
  d <- data.frame(time = ftime, cause = fstatus, group = as.factor(group), strata = factor(1))
  d <- d[order(d$time), ]
  censind <- ifelse(d$cause == 0, 1, 0)
  censind <- 1 - censind
  causeind <- ifelse(d$cause == cause, 1, 0)
  causeind <- 2 * censind - causeind
  ng <- 2; ng1 <- 1; ng2 <- 1
  v <- matrix(0, nrow = ng1, ncol = ng1); storage.mode(v) <- "double"
  vt <- double(ng2); s <- double(ng1)
  z2 <- .Fortran("crstm", as.double(d$time), as.integer(causeind), as.integer(d$group),
                 as.integer(d$strata), as.integer(nrow(d)), as.double(rho), as.integer(1L),
                 as.integer(ng), s, v, as.double(d$time), as.integer(causeind), as.integer(d$group),
                 vt, s, vt, double((4 + 3 * ng) * ng), integer(4 * ng), PACKAGE = "cmprsk")
  c(score = z2[[9]], variance = z2[[10]][1, 1],
    stat = cuminc(ftime, fstatus, group)$Tests[as.character(cause), "stat"])
}
# the log-rank statistic of the second group: (O - E) / sqrt(V) from survdiff
logrank_signed <- function(time, event, group) {
  sd <- survdiff(Surv(time, event) ~ group)
  (sd$obs[2] - sd$exp[2]) / sqrt(sd$var[2, 2])
}

bmt <- read.csv("tests/reference/survival/bmt.csv")
myeloid <- read.csv("tests/reference/competing_risks/myeloid.csv")
rows <- list()
add <- function(file, time, status, group, cause) {
  g <- gray_score(time, status, group, cause)
  rows[[length(rows) + 1]] <<- data.frame(
    file = file, cause = cause,
    gray_z = sprintf("%.17g", -g[["score"]] / sqrt(g[["variance"]])),
    gray_chisq = sprintf("%.17g", g[["stat"]]),
    logrank_z = sprintf("%.17g", logrank_signed(time, as.integer(status == cause), group)))
}
for (cause in 1:2) {
  add("survival/bmt.csv", bmt$ftime, bmt$status, bmt$dis, cause)
  add("competing_risks/myeloid.csv", myeloid$relapse_time, myeloid$relapse_status, myeloid$trt, cause)
}
dir.create(out_dir, showWarnings = FALSE)
write.csv(do.call(rbind, rows), file.path(out_dir, "signed.csv"), row.names = FALSE, quote = FALSE)

# --- a look of the synthetic trial's design --------------------------------------------------------
# Design (studies/nct04674345.yaml): 121 planned relapses, two looks at 50% and 100%, two-sided
# alpha 0.05 spent as 0.025 a side with the Lan-DeMets O'Brien-Fleming-type function, planned HR 0.6
# at 1:1. Two cuts written by Python from the synthetic trials (primary endpoint, comparator = 1):
#   synthetic_cut_2024-03-01.csv  the default synthetic trial at 2024-03-01 (no boundary crossed)
#   strong_cut_2024-03-31.csv     helpers.synthetic.generate(hazard_ratios = {SORA: 0.3}, seed = 11)
#                                 at 2024-03-31 (efficacy boundary crossed)
# At look 1 (the cut) with information t = events / 121 the boundaries are rpact's at
# informationRates c(t, 1); the statistic is the signed square root of Gray's test oriented to the
# planned effect (positive: fewer relapses with the comparator); the repeated CI of the
# subdistribution HR is exp(b -/+ c_1 se) with crr's b and se; conditional power (Lan and Wittes
# 1988, one look left) 1 - Phi((c_2 - z sqrt(t) - theta (1 - t)) / sqrt(1 - t)) under the planned
# drift theta = |log 0.6| sqrt(121 / 4) and the trend theta = z / sqrt(t); predictive power (flat
# prior) Phi((z - c_2 sqrt(t)) / sqrt(1 - t)).
planned <- 121; hr <- 0.6
looks <- list()
for (name in c("synthetic_cut_2024-03-01", "strong_cut_2024-03-31")) {
  d <- read.csv(file.path(out_dir, paste0(name, ".csv")))
  events <- sum(d$EVNTCD == 1)
  t <- events / planned
  design <- getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = "asOF",
                                     informationRates = c(t, 1))
  c1 <- design$criticalValues[1]; c2 <- design$criticalValues[2]
  g <- gray_score(d$AVAL, d$EVNTCD, d$COMPARATOR, 1)
  z <- g[["score"]] / sqrt(g[["variance"]])  # oriented: -(signed z), the planned HR being below 1
  fit <- crr(d$AVAL, d$EVNTCD, cov1 = cbind(d$COMPARATOR), failcode = 1, cencode = 0)
  b <- unname(fit$coef[1]); se <- sqrt(fit$var[1, 1])
  drift <- abs(log(hr)) * sqrt(planned / 4)
  cp <- function(theta) 1 - pnorm((c2 - z * sqrt(t) - theta * (1 - t)) / sqrt(1 - t))
  looks[[name]] <- list(
    events = events, information_fraction = t, z_planned = z, efficacy_z = c1, final_z = c2,
    nominal_p = 2 * (1 - pnorm(c1)), log_hr = b, std_error = se,
    rci_low = exp(b - c1 * se), rci_high = exp(b + c1 * se), drift_planned = drift,
    conditional_power_planned = cp(drift), conditional_power_trend = cp(z / sqrt(t)),
    predictive_power = pnorm((z - c2 * sqrt(t)) / sqrt(1 - t)))
}
num <- function(v) if (is.numeric(v)) sprintf("%.17g", v) else sprintf('"%s"', v)
json <- paste0("{\n", paste(vapply(names(looks), function(n) {
  x <- looks[[n]]
  paste0('  "', n, '": {\n', paste(sprintf('    "%s": %s', names(x), vapply(x, num, "")), collapse = ",\n"), "\n  }")
}, ""), collapse = ",\n"), ',\n  "rpact_version": "', as.character(packageVersion("rpact")), '"\n}\n')
writeLines(json, file.path(out_dir, "monitoring.json"), sep = "")
cat(json)

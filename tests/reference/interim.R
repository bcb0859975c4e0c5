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

# Reference values for helpers.competing_risks (cumulative_incidence, gray_test), computed
# with cmprsk::cuminc and cmprsk::timepoints.
#
# Run from the repository root:   Rscript tests/reference/competing_risks.R
# Written with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
#
# Writes into tests/reference/competing_risks/:
#   <data>.csv        the data sets (simulated ones rounded to 4 decimals, written, and read
#                     back before use, so R and Python see exactly the same doubles)
#   cases.csv         one row per case: data file, columns, strata, rho, timepoints
#   cuminc_full.csv   cuminc()'s lists as they are (time, est, var; corners of the step
#                     function, in order: column `index` is the position in the list)
#   timepoints.csv    timepoints(cuminc(...), times)$est / $var, long format
#   tests.csv         cuminc(...)$Tests: stat, pv, df per cause (stat = -1: singular variance)
#   counts_full.csv   n_risk, n_event, n_censor at each time (survfit multi-state summary) and
#                     their running totals cum_event, cum_censor
#   counts_timepoints.csv  the same at the timepoints (n_event, n_censor since the previous one)
#   intervals.csv     survival:::survfit_confint(est, sqrt(var), logse = FALSE) at the
#                     timepoints, for conf.type "log-log", "log" and "plain"
# Doubles are written with sprintf("%.17g"), which round-trips exactly.
#
# bmt.csv is not written here: it is scikit-survival's copy of the bmt data of cmprsk's
# examples (Scrucca et al. 2007, Bone Marrow Transplant 40:381-7), exported once with Python:
#   x, y = sksurv.datasets.load_bmt()
#   DataFrame({"ftime": y["ftime"], "status": y["status"], "dis": x["dis"].astype(int)}).to_csv(...)

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

out_dir <- file.path("tests", "reference", "competing_risks")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

write_table <- function(d, file) {
  for (col in names(d)) if (is.double(d[[col]])) d[[col]] <- fmt(d[[col]])
  quote <- which(names(d) %in% c("note", "file"))
  write.csv(d, file.path(out_dir, file), row.names = FALSE,
            quote = if (length(quote)) quote else FALSE)
}

write_data <- function(d, file) {
  write_table(d, file)
  read.csv(file.path(out_dir, file), stringsAsFactors = FALSE)
}

cases <- list()
full <- list()
tps <- list()
tests <- list()
count_full <- list()
count_tps <- list()
intervals <- list()

# one case = one cuminc() call; its cumulative incidences, timepoints and Gray's tests are kept
run_case <- function(case, file, d, time, status, group, strata = NULL, rho = 0, times,
                     note = "", keep_full = TRUE) {
  args <- list(ftime = d[[time]], fstatus = d[[status]], group = d[[group]], rho = rho)
  if (!is.null(strata)) args$strata <- d[[strata]]
  fit <- do.call(cuminc, args)
  groups <- levels(factor(d[[group]]))
  groups <- groups[groups %in% as.character(unique(d[[group]]))]
  causes <- sort(unique(d[[status]][d[[status]] != 0]))
  curves <- fit[names(fit) != "Tests"]
  l <- 0
  for (cause in causes) for (g in groups) {
    l <- l + 1
    cv <- curves[[l]]
    stopifnot(names(curves)[l] == paste(g, cause))
    if (keep_full) full[[length(full) + 1]] <<- data.frame(case = case, group = g, cause = cause,
                                            index = seq_along(cv$time), time = cv$time,
                                            est = cv$est, var = cv$var)
  }
  tp <- timepoints(fit, times)
  for (i in seq_len(nrow(tp$est))) {
    key <- strsplit(rownames(tp$est)[i], " ")[[1]]
    tps[[length(tps) + 1]] <<- data.frame(case = case, group = key[1], cause = as.integer(key[2]),
                                          time = as.numeric(colnames(tp$est)),
                                          est = tp$est[i, ], var = tp$var[i, ])
  }
  # counts from survival's multi-state survfit (state 0 = censored): n.event / n.censor at each
  # time, and with times= since the previous time (summary(times=, extend = TRUE)); cumulative
  # totals summed from the per-time counts
  dd <- data.frame(tt = d[[time]], st = factor(d[[status]], levels = c(0, causes)), g = d[[group]])
  ms <- survfit(Surv(tt, st) ~ g, dd)
  sm <- summary(ms, censored = TRUE)
  sm_group <- sub("^g=", "", as.character(sm$strata))
  for (k in seq_along(causes)) {
    per <- data.frame(case = case, group = sm_group, cause = causes[k], time = sm$time,
                      n_risk = sm$n.risk[, 1], n_event = sm$n.event[, k + 1],
                      n_censor = sm$n.censor)
    per$cum_event <- ave(per$n_event, per$group, FUN = cumsum)
    per$cum_censor <- ave(per$n_censor, per$group, FUN = cumsum)
    if (keep_full) count_full[[length(count_full) + 1]] <<- per
    st <- summary(ms, times = times, extend = TRUE)
    st_group <- sub("^g=", "", as.character(st$strata))
    at <- data.frame(case = case, group = st_group, cause = causes[k], time = st$time,
                     n_risk = st$n.risk[, 1], n_event = st$n.event[, k + 1],
                     n_censor = st$n.censor)
    at$cum_event <- mapply(function(g, t) sum(per$n_event[per$group == g & per$time <= t]),
                           at$group, at$time)
    at$cum_censor <- mapply(function(g, t) sum(per$n_censor[per$group == g & per$time <= t]),
                            at$group, at$time)
    count_tps[[length(count_tps) + 1]] <<- at
  }
  # pointwise intervals: survival's own survfit_confint on cuminc's estimate and standard error
  for (ct in c("log-log", "log", "plain")) for (i in seq_len(nrow(tp$est))) {
    key <- strsplit(rownames(tp$est)[i], " ")[[1]]
    ci <- survival:::survfit_confint(tp$est[i, ], sqrt(tp$var[i, ]), logse = FALSE,
                                     conf.type = ct, conf.int = 0.95)
    intervals[[length(intervals) + 1]] <<- data.frame(
      case = case, group = key[1], cause = as.integer(key[2]), time = as.numeric(colnames(tp$est)),
      conf_type = ct, conf_low = as.numeric(ci$lower), conf_high = as.numeric(ci$upper))
  }
  if (!is.null(fit$Tests)) {
    tests[[length(tests) + 1]] <<- data.frame(case = case,
                                              cause = as.integer(rownames(fit$Tests)),
                                              stat = fit$Tests[, "stat"], pv = fit$Tests[, "pv"],
                                              df = as.integer(fit$Tests[, "df"]))
  }
  cases[[length(cases) + 1]] <<- data.frame(
    case = case, file = file, duration_col = time, event_col = status, group_col = group,
    strata_col = if (is.null(strata)) "" else strata, rho = rho,
    times = paste(fmt(times), collapse = ";"), note = note)
}

# ---- (1) bmt (scikit-survival) ------------------------------------------------------------
bmt <- read.csv(file.path(out_dir, "bmt.csv"))
run_case("bmt", "bmt.csv", bmt, "ftime", "status", "dis", times = c(0, 1, 10, 20, 50, 100),
         note = "scikit-survival load_bmt: cause 1 = relapse, 2 = transplant-related death; events at time 0")
run_case("bmt_rho1", "bmt.csv", bmt, "ftime", "status", "dis", rho = 1, times = c(10, 50),
         note = "bmt with rho = 1")

# ---- (2) survival::myeloid with a derived competing-risks endpoint ------------------------
# Endpoint (as tests/reference/fine_gray.R): relapse (cause 1) at rltime; death without
# relapse (cause 2) at futime when death == 1 and rltime is missing; otherwise censored at
# futime (alive without relapse).
m <- survival::myeloid
m$relapse_time <- ifelse(is.na(m$rltime), m$futime, m$rltime)
m$relapse_status <- ifelse(!is.na(m$rltime), 1L, ifelse(m$death == 1, 2L, 0L))
m$sex <- as.character(m$sex)
m <- write_data(m[, c("id", "trt", "sex", "relapse_time", "relapse_status")], "myeloid.csv")
run_case("myeloid", "myeloid.csv", m, "relapse_time", "relapse_status", "trt",
         times = c(100, 365, 730, 1095, 1825),
         note = "survival::myeloid, relapse vs death without relapse, by trt")
run_case("myeloid_strata", "myeloid.csv", m, "relapse_time", "relapse_status", "trt",
         strata = "sex", times = c(365, 730),
         note = "myeloid by trt, Gray's test stratified by sex")

# ---- (3) simulated data sets ---------------------------------------------------------------
set.seed(20240601)

# latent exponential times for two causes and censoring, rates per group
sim <- function(n, groups, rate1, rate2, cens, digits = 4) {
  g <- sample(groups, n, replace = TRUE)
  k <- match(g, groups)
  t1 <- rexp(n, rate1[k])
  t2 <- rexp(n, rate2[k])
  tc <- rexp(n, cens)
  time <- pmin(t1, t2, tc)
  status <- ifelse(time == t1, 1L, ifelse(time == t2, 2L, 0L))
  data.frame(time = round(time, digits), status = status, group = g)
}

# heavy ties: integer times 1..20, ties within and across causes and with censoring
d <- sim(300, c("A", "B"), c(0.05, 0.08), c(0.04, 0.03), 0.03)
d$time <- pmin(ceiling(d$time), 20)
d <- write_data(d, "sim_ties.csv")
run_case("sim_ties", "sim_ties.csv", d, "time", "status", "group", times = c(1, 5, 10, 15, 20),
         note = "integer times 1..20 (heavy ties), two groups")

# tied event times across causes: few distinct times, three groups
d <- sim(150, c("A", "B", "C"), c(0.3, 0.2, 0.25), c(0.2, 0.3, 0.25), 0.1)
d$time <- pmin(ceiling(d$time), 8)
d <- write_data(d, "sim_cross_ties.csv")
run_case("sim_cross_ties", "sim_cross_ties.csv", d, "time", "status", "group",
         times = c(1, 2, 4, 8), note = "times 1..8: events of both causes tied at most times")

# censoring at event times: censored patients share times with events of both causes
d <- sim(80, c("X", "Y"), c(0.3, 0.2), c(0.2, 0.2), 0.3)
d$time <- ceiling(d$time * 2) / 2
d <- write_data(d, "sim_censor_at_event.csv")
run_case("sim_censor_at_event", "sim_censor_at_event.csv", d, "time", "status", "group",
         times = c(0.5, 1, 2, 3), note = "times on a 0.5 grid: censoring tied with events")

# a group with no events of cause 2
d <- sim(240, c("A", "B", "C"), c(0.1, 0.15, 0.2), c(0.1, 0.05, 0.1), 0.05)
d$status[d$group == "C" & d$status == 2] <- 0L
d <- write_data(d, "sim_no_cause2.csv")
run_case("sim_no_cause2", "sim_no_cause2.csv", d, "time", "status", "group",
         times = c(1, 5, 10, 20), note = "group C has no cause-2 events (recoded censored)")

# three groups with strata
d <- sim(600, c("A", "B", "C"), c(0.1, 0.13, 0.16), c(0.08, 0.08, 0.06), 0.05)
d$stratum <- sample(c("s1", "s2"), nrow(d), replace = TRUE)
d <- write_data(d, "sim_three.csv")
run_case("sim_three", "sim_three.csv", d, "time", "status", "group", times = c(2, 5, 10),
         note = "three groups, continuous times")
run_case("sim_three_strata", "sim_three.csv", d, "time", "status", "group", strata = "stratum",
         times = c(5), note = "three groups, Gray's test stratified (2 strata)")
run_case("sim_three_strata_rho1", "sim_three.csv", d, "time", "status", "group",
         strata = "stratum", rho = 1, times = c(5), note = "as sim_three_strata, rho = 1")

# four groups, three strata, three causes, times on a 0.1 grid (some ties)
g4 <- c("G1", "G2", "G3", "G4")
d <- sim(800, g4, c(0.1, 0.12, 0.14, 0.09), c(0.05, 0.07, 0.05, 0.08), 0.06, digits = 1)
third <- rbinom(nrow(d), 1, 0.15) == 1 & d$status > 0
d$status[third] <- 3L
d$stratum <- sample(1:3, nrow(d), replace = TRUE)
d <- write_data(d, "sim_four.csv")
run_case("sim_four", "sim_four.csv", d, "time", "status", "group", times = c(1, 3, 6, 12),
         note = "four groups, three causes, times on a 0.1 grid")
run_case("sim_four_strata", "sim_four.csv", d, "time", "status", "group", strata = "stratum",
         times = c(3), note = "four groups, Gray's test stratified (3 integer-coded strata)")

# edge cases: events at time 0, a group whose last time is a cause-1 event (survival drops
# to 0) and a group whose last time is censored
d <- data.frame(
  time = c(0, 0, 1, 2, 2, 3, 4, 5, 0, 1, 1, 2, 3, 3, 4, 6),
  status = c(1L, 2L, 1L, 2L, 0L, 1L, 2L, 1L, 2L, 0L, 1L, 1L, 2L, 2L, 1L, 0L),
  group = rep(c("a", "b"), each = 8))
d <- write_data(d, "sim_edge.csv")
run_case("sim_edge", "sim_edge.csv", d, "time", "status", "group", times = c(0, 2, 5, 6),
         note = "small: events at 0; group a ends with a cause-1 event, group b with censoring")

# singular variance: every cause-2 event of group b happens after group a's last follow-up,
# so the score and its variance for cause 2 are 0 and cuminc reports stat = -1
d <- data.frame(
  time = c(1, 2, 3, 4, 5, 1, 2, 6, 7, 8),
  status = c(1L, 0L, 1L, 1L, 0L, 1L, 0L, 2L, 2L, 1L),
  group = rep(c("a", "b"), each = 5))
d <- write_data(d, "sim_singular.csv")
run_case("sim_singular", "sim_singular.csv", d, "time", "status", "group", times = c(3, 8),
         note = "cause 2 only after the other group has left: singular variance (stat = -1)")

# moderate size, continuous times: numerical stability of the cumulative sums
d <- sim(5000, c("A", "B", "C"), c(0.1, 0.12, 0.14), c(0.05, 0.05, 0.07), 0.04, digits = 6)
d$stratum <- sample(c("s1", "s2"), nrow(d), replace = TRUE)
d <- write_data(d, "sim_large.csv")
run_case("sim_large", "sim_large.csv", d, "time", "status", "group", strata = "stratum",
         times = c(1, 5, 10, 20), note = "n = 5000, three groups, two strata (no full curves kept)",
         keep_full = FALSE)

# a stratum in which one group is absent (its risk set is empty there throughout)
d <- sim(300, c("A", "B", "C"), c(0.12, 0.1, 0.15), c(0.06, 0.08, 0.05), 0.05)
d$stratum <- ifelse(d$group == "C", "s1", sample(c("s1", "s2"), nrow(d), replace = TRUE))
d <- write_data(d, "sim_strata_missing_group.csv")
run_case("sim_strata_missing_group", "sim_strata_missing_group.csv", d, "time", "status",
         "group", strata = "stratum", times = c(2, 8),
         note = "Gray's test stratified; group C is absent from stratum s2")

write_table(do.call(rbind, cases), "cases.csv")
write_table(do.call(rbind, full), "cuminc_full.csv")
write_table(do.call(rbind, tps), "timepoints.csv")
write_table(do.call(rbind, tests), "tests.csv")
write_table(do.call(rbind, count_full), "counts_full.csv")
write_table(do.call(rbind, count_tps), "counts_timepoints.csv")
write_table(do.call(rbind, intervals), "intervals.csv")
cat("wrote", length(cases), "cases to", out_dir, "\n")

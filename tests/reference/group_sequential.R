# Reference values for helpers.stats.group_sequential, computed with rpact.
#
# Run from the repository root:   Rscript tests/reference/group_sequential.R
# Written with R 4.2.2, rpact 3.3.4 (Debian r-cran-rpact).
#
# Writes into tests/reference/group_sequential/:
#   designs.json  one entry per design: the call (kMax, informationRates, alpha, beta, sided,
#                 typeOfDesign, gammaA, typeBetaSpending, gammaB, bindingFutility) and
#                 getDesignGroupSequential()'s criticalValues, futilityBounds, alphaSpent,
#                 betaSpent, stageLevels; getDesignCharacteristics()'s shift, inflationFactor,
#                 power, rejectionProbabilities, futilityProbabilities, averageSampleNumber1/01/0;
#                 getPowerAndAverageSampleNumber() at theta = 0 (H0) with nMax = 1:
#                 rejectPerStage, futilityPerStage, overallReject, averageSampleNumber.
#   updates.json  designs at observed information rates (the spending-function approach):
#                 a new getDesignGroupSequential() with the observed informationRates.
# Numbers are written with 17 significant digits.

suppressPackageStartupMessages(library(rpact))

out_dir <- file.path("tests", "reference", "group_sequential")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

num <- function(x) {
  ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "1e999", "-1e999"),
                                  sprintf("%.17g", x)))
}
json_value <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(k) paste0('"', k, '": ', json_value(x[[k]])), "")
      return(paste0("{", paste(items, collapse = ", "), "}"))
    }
    return(paste0("[", paste(vapply(x, json_value, ""), collapse = ",\n "), "]"))
  }
  if (is.logical(x) && length(x) == 1) return(if (is.na(x)) "null" else if (x) "true" else "false")
  if (is.character(x)) {
    s <- paste0('"', x, '"')
    return(if (length(x) == 1) s else paste0("[", paste(s, collapse = ", "), "]"))
  }
  paste0("[", paste(num(as.numeric(x)), collapse = ", "), "]")
}
write_json <- function(x, name) {
  writeLines(paste0(json_value(x), "\n"), file.path(out_dir, name), sep = "")
}

case <- function(id, rates, alpha = 0.025, sided = 1, beta = 0.2, type = "asOF", gammaA = NA,
                 beta_type = "none", gammaB = NA, binding = FALSE) {
  list(id = id, rates = rates, alpha = alpha, sided = sided, beta = beta, type = type,
       gammaA = gammaA, beta_type = beta_type, gammaB = gammaB, binding = binding)
}

make_design <- function(c) {
  args <- list(kMax = length(c$rates), informationRates = c$rates, alpha = c$alpha,
               beta = c$beta, sided = c$sided, typeOfDesign = c$type,
               typeBetaSpending = c$beta_type)
  if (!is.na(c$gammaA)) args$gammaA <- c$gammaA
  if (!is.na(c$gammaB)) args$gammaB <- c$gammaB
  if (c$beta_type != "none") args$bindingFutility <- c$binding
  do.call(getDesignGroupSequential, args)
}

five <- c(0.15, 0.35, 0.55, 0.8, 1)
three <- c(0.25, 0.6, 1)
cases <- list(
  # published Lan-DeMets O'Brien-Fleming values
  case("of_2_equal", c(0.5, 1)),
  case("of_3_equal", c(1, 2, 3) / 3),
  case("of_3", three), case("of_5", five),
  case("of_late_2", c(0.9375, 1)),  # a late interim: the final boundary is above the interim one
  case("p_2", c(0.4, 1), type = "asP"), case("p_3", three, type = "asP"), case("p_5", five, type = "asP"),
  case("hsd_m4_3", three, type = "asHSD", gammaA = -4),
  case("hsd_m2_3", three, type = "asHSD", gammaA = -2),
  case("hsd_1_3", three, type = "asHSD", gammaA = 1),
  case("hsd_m4_5", five, type = "asHSD", gammaA = -4),
  case("hsd_1_2", c(0.6, 1), type = "asHSD", gammaA = 1),
  case("kd_1_3", three, type = "asKD", gammaA = 1),
  case("kd_2_3", three, type = "asKD", gammaA = 2),
  case("kd_3_3", three, type = "asKD", gammaA = 3),
  case("kd_3_5", five, type = "asKD", gammaA = 3),
  # two-sided, symmetric
  case("two_of_2", c(0.5, 1), alpha = 0.05, sided = 2),
  case("two_of_5", five, alpha = 0.05, sided = 2),
  case("two_p_3", three, alpha = 0.05, sided = 2, type = "asP"),
  case("two_hsd_m4_3", three, alpha = 0.05, sided = 2, type = "asHSD", gammaA = -4),
  case("two_kd_2_5", five, alpha = 0.05, sided = 2, type = "asKD", gammaA = 2, beta = 0.1),
  # futility from beta spending, one-sided
  case("of_bsof_3_nb", three, beta_type = "bsOF"),
  case("of_bsof_3_b", three, beta_type = "bsOF", binding = TRUE),
  case("hsd_bshsd_3_nb", three, type = "asHSD", gammaA = -4, beta_type = "bsHSD", gammaB = -2),
  case("hsd_bshsd_3_b", three, type = "asHSD", gammaA = -4, beta_type = "bsHSD", gammaB = -2, binding = TRUE),
  case("kd_bskd_5_nb", five, type = "asKD", gammaA = 3, beta_type = "bsKD", gammaB = 2),
  case("kd_bskd_5_b", five, type = "asKD", gammaA = 3, beta_type = "bsKD", gammaB = 2, binding = TRUE),
  case("p_bsp_2_nb", c(0.5, 1), alpha = 0.05, type = "asP", beta_type = "bsP", beta = 0.1),
  case("of_bshsd_2_b", c(0.5, 1), beta_type = "bsHSD", gammaB = 1, binding = TRUE)
)

results <- lapply(cases, function(c) {
  d <- make_design(c)
  ch <- getDesignCharacteristics(d)
  h0 <- getPowerAndAverageSampleNumber(d, theta = 0, nMax = 1)
  k <- length(c$rates)
  list(
    id = c$id, kMax = k, informationRates = c$rates, alpha = c$alpha, beta = c$beta,
    sided = c$sided, typeOfDesign = c$type, gammaA = c$gammaA, typeBetaSpending = c$beta_type,
    gammaB = c$gammaB, bindingFutility = c$binding,
    criticalValues = d$criticalValues, futilityBounds = d$futilityBounds,
    alphaSpent = d$alphaSpent, betaSpent = d$betaSpent, stageLevels = d$stageLevels,
    shift = ch$shift, inflationFactor = ch$inflationFactor, power = ch$power,
    rejectionProbabilities = ch$rejectionProbabilities,
    futilityProbabilities = ch$futilityProbabilities,
    averageSampleNumber1 = ch$averageSampleNumber1, averageSampleNumber01 = ch$averageSampleNumber01,
    averageSampleNumber0 = ch$averageSampleNumber0,
    h0_rejectPerStage = as.numeric(h0$rejectPerStage), h0_futilityPerStage = as.numeric(h0$futilityPerStage),
    h0_overallReject = h0$overallReject, h0_averageSampleNumber = h0$averageSampleNumber
  )
})
write_json(list(rpact_version = as.character(packageVersion("rpact")), designs = results), "designs.json")

# ---- boundaries at the information rates actually observed --------------------------------
update_case <- function(id, planned, observed, alpha = 0.025, sided = 1, type = "asOF", gammaA = NA) {
  c <- case(id, observed, alpha = alpha, sided = sided, type = type, gammaA = gammaA)
  d <- make_design(c)
  list(id = id, planned = planned, observed = observed, alpha = alpha, sided = sided,
       typeOfDesign = type, gammaA = gammaA, criticalValues = d$criticalValues,
       alphaSpent = d$alphaSpent)
}
updates <- list(
  update_case("of_interim_early", c(0.5, 1), c(0.42, 1)),
  update_case("of_interim_late", c(1, 2, 3) / 3, c(0.38, 0.71, 1)),
  update_case("two_of_trial", c(0.5, 1), c(0.47, 1), alpha = 0.05, sided = 2),
  update_case("hsd_m4_three", three, c(0.3, 0.55, 1), type = "asHSD", gammaA = -4),
  update_case("p_five", five, c(0.2, 0.33, 0.61, 0.77, 1), type = "asP"),
  update_case("kd_2_two", c(0.5, 1), c(0.58, 1), type = "asKD", gammaA = 2)
)
write_json(list(rpact_version = as.character(packageVersion("rpact")), updates = updates), "updates.json")
cat("wrote", length(results), "designs and", length(updates), "updates to", out_dir, "\n")

# ---- monitoring: conditional power and repeated confidence intervals ---------------------------
# A three-look O'Brien-Fleming design, 120 events at the end; log-rank z of 1.2 at 40 events,
# 2.3 at 80.  rpact's log-rank estimate of the log hazard ratio is 2 z / sqrt(events) (1:1).
mon_design <- getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign = "asOF",
                                       informationRates = c(1, 2, 3) / 3)
mon_data <- getDataset(overallEvents = c(40, 80), overallLogRanks = c(1.2, 2.3),
                       overallAllocationRatios = c(1, 1))
stage1 <- getStageResults(mon_design, dataInput = getDataset(overallEvents = 40, overallLogRanks = 1.2,
                                                              overallAllocationRatios = 1), stage = 1)
cp_h1 <- getConditionalPower(stage1, nPlanned = c(40, 40), thetaH1 = 1.6)
cp_est <- getConditionalPower(stage1, nPlanned = c(40, 40))
rci <- suppressMessages(getRepeatedConfidenceIntervals(mon_design, dataInput = mon_data, stage = 2))
monitoring <- list(
  rpact_version = as.character(packageVersion("rpact")),
  informationRates = c(1, 2, 3) / 3, maxEvents = 120, events = c(40, 80), logRanks = c(1.2, 2.3),
  criticalValues = mon_design$criticalValues, thetaH1 = 1.6,
  conditionalPower_thetaH1 = cp_h1$conditionalPower, conditionalPower_estimate = cp_est$conditionalPower,
  rci_lower = rci[1, 1:2], rci_upper = rci[2, 1:2]
)
write_json(monitoring, "monitoring.json")

# ---- expected events over calendar time ---------------------------------------------------------
# rpact's accrual logic: getPowerSurvival(...)$analysisTime is the time the expected events reach
# each look's events; getEventProbabilities(time, ...)$overallEventProbabilities the expected
# fraction of patients with an event by a calendar time.
cal_design <- getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = "asOF",
                                       informationRates = c(0.5, 1))
exp_case <- getPowerSurvival(cal_design, lambda2 = log(2) / 12, hazardRatio = 0.6,
  accrualTime = c(0, 6, 24), accrualIntensity = c(5, 15), maxNumberOfSubjects = 300, maxNumberOfEvents = 120,
  dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12, directionUpper = FALSE)
pw_case <- getPowerSurvival(cal_design, piecewiseSurvivalTime = c(0, 6, 12), lambda2 = c(0.03, 0.05, 0.02),
  hazardRatio = 0.7, accrualTime = c(0, 30), maxNumberOfSubjects = 400, maxNumberOfEvents = 150,
  allocationRatioPlanned = 2, directionUpper = FALSE)
times <- c(6, 18.5, 30, 41.2)
exp_prob <- getEventProbabilities(times, lambda2 = log(2) / 12, hazardRatio = 0.6,
  accrualTime = c(0, 6, 24), accrualIntensity = c(5, 15), maxNumberOfSubjects = 300,
  dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12)
pw_prob <- getEventProbabilities(times, piecewiseSurvivalTime = c(0, 6, 12), lambda2 = c(0.03, 0.05, 0.02),
  hazardRatio = 0.7, accrualTime = c(0, 30), maxNumberOfSubjects = 400, allocationRatioPlanned = 2)
calendar <- list(
  rpact_version = as.character(packageVersion("rpact")),
  exponential = list(lambda2 = log(2) / 12, hazardRatio = 0.6, accrualTime = c(0, 6, 24),
                     accrualIntensity = c(5, 15), maxNumberOfSubjects = 300, events = c(60, 120),
                     dropoutRate = 0.05, dropoutTime = 12, analysisTime = as.numeric(exp_case$analysisTime),
                     times = times, overallEventProbabilities = exp_prob$overallEventProbabilities),
  piecewise = list(piecewiseSurvivalTime = c(0, 6, 12), lambda2 = c(0.03, 0.05, 0.02), hazardRatio = 0.7,
                   accrualTime = c(0, 30), maxNumberOfSubjects = 400, allocationRatioPlanned = 2,
                   events = c(75, 150), analysisTime = as.numeric(pw_case$analysisTime),
                   times = times, overallEventProbabilities = pw_prob$overallEventProbabilities)
)
write_json(calendar, "calendar.json")

# Reference values for the design simulator's validation (tests/test_design_simulation_validation.py),
# computed with rpact.
#
# Run from the repository root:   Rscript tests/reference/design_simulation.R
# Written with R 4.2.2, rpact 3.3.4 (Debian r-cran-rpact).
#
# Writes tests/reference/design_simulation/rpact.json: for Lan-DeMets O'Brien-Fleming designs
# (typeOfDesign = "asOF") and Pocock-type designs ("asP"), getDesignGroupSequential()'s
# criticalValues, and getPowerSurvival() at a cause-specific hazard ratio and a maximum number of
# events (Schoenfeld's normal approximation; no competing risk): rejectPerStage, overallReject,
# earlyStop. One-sided designs (directionUpper = FALSE: benefit is a hazard ratio below 1) and
# two-sided ones (both sides reject; rpact's overallReject counts the side of the alternative).

suppressPackageStartupMessages(library(rpact))

out_dir <- file.path("tests", "reference", "design_simulation")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")

cases <- list(
  list(name = "of_two_sided_hr06", kMax = 2, rates = c(0.5, 1), alpha = 0.05, sided = 2, type = "asOF", hr = 0.6, events = 121),
  list(name = "of_two_sided_hr075", kMax = 2, rates = c(0.5, 1), alpha = 0.05, sided = 2, type = "asOF", hr = 0.75, events = 380),
  list(name = "of_two_sided_null", kMax = 2, rates = c(0.5, 1), alpha = 0.05, sided = 2, type = "asOF", hr = 1.0, events = 121),
  list(name = "pocock_one_sided_hr07", kMax = 3, rates = c(1/3, 2/3, 1), alpha = 0.025, sided = 1, type = "asP", hr = 0.7, events = 200)
)
entries <- character(0)
for (cs in cases) {
  d <- getDesignGroupSequential(kMax = cs$kMax, informationRates = cs$rates, alpha = cs$alpha,
                                sided = cs$sided, typeOfDesign = cs$type, beta = 0.2)
  p <- getPowerSurvival(d, hazardRatio = cs$hr, maxNumberOfEvents = cs$events, maxNumberOfSubjects = 2000,
                        lambda2 = 0.05, directionUpper = FALSE, allocationRatioPlanned = 1,
                        accrualTime = c(0, 12))
  entries <- c(entries, sprintf(
    '"%s": {"k_max": %d, "information_rates": %s, "alpha": %s, "sided": %d, "type_of_design": "%s", "hazard_ratio": %s, "max_events": %d, "critical_values": %s, "reject_per_stage": %s, "overall_reject": %s, "early_stop": %s}',
    cs$name, cs$kMax, num(cs$rates), num(cs$alpha), cs$sided, cs$type, num(cs$hr), cs$events,
    num(d$criticalValues), num(as.numeric(p$rejectPerStage)), num(p$overallReject), num(p$earlyStop)))
}
writeLines(c("{", paste(entries, collapse = ",\n"), "}"), file.path(out_dir, "rpact.json"))
cat("R", as.character(getRversion()), "rpact", as.character(packageVersion("rpact")), "\n")

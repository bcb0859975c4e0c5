# Reference values for the study's planned design (helpers.analysis.design.planned_design).
# R 4.2.2, rpact 3.3.4 (Debian r-cran-rpact). Run from the project root:
#   Rscript tests/reference/design.R
# Design: event-driven, relapse cause-specific HR 0.6, 1:1, two-sided alpha 0.05 spent as one-sided
# 0.025 per side with the Lan-DeMets O'Brien-Fleming-type function, power 80%, one interim at 50%
# of the events.
suppressPackageStartupMessages(library(rpact))
hr <- 0.6; alpha <- 0.05; power <- 0.80; t1 <- 0.5
design <- getDesignGroupSequential(kMax = 2, alpha = alpha / 2, beta = 1 - power, sided = 1,
                                   typeOfDesign = "asOF", informationRates = c(t1, 1))
chars <- getDesignCharacteristics(design)
d_fixed <- 4 * (qnorm(1 - alpha / 2) + qnorm(power))^2 / log(hr)^2
out <- list(
  rpact_version = as.character(packageVersion("rpact")),
  z_boundary_interim = design$criticalValues[1],
  z_boundary_final = design$criticalValues[2],
  alpha_spent_interim = design$alphaSpent[1],
  inflation_factor = chars$inflationFactor,
  events_fixed_design = ceiling(d_fixed),
  events_target = ceiling(d_fixed * chars$inflationFactor),
  events_interim = ceiling(t1 * ceiling(d_fixed * chars$inflationFactor))
)
json <- paste0("{\n", paste(sprintf('  "%s": %s', names(out),
  vapply(out, function(v) if (is.character(v)) sprintf('"%s"', v) else format(v, digits = 17), "")),
  collapse = ",\n"), "\n}\n")
writeLines(json, "tests/reference/design/design.json", sep = "")
cat(json)

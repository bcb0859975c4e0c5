# Reference values for helpers.stats.balance: absolute standardised differences of baseline
# variables (Table 1) and Newcombe's hybrid score interval of a difference of two proportions
# (adverse-event risk differences).
#
# Run from the repository root:   Rscript tests/reference/balance.R
# Produced with R 4.2.2, survival 3.5-3, MASS 7.3-58.2.
# Writes the data set it uses (pbc of the survival package, the randomised patients) and the
# reference values (17 significant digits) into tests/reference/balance/.
#
# The formulas, written out here rather than taken from a package (tableone is not installed):
#   continuous   d = (mean_t - mean_c) / sqrt((s2_t + s2_c) / 2), sample variances
#   categorical  d = sqrt((p_t - p_c)' S^-1 (p_t - p_c)), p the proportions of levels 2..k,
#                S = (S_t + S_c) / 2, S_g[k, k] = p_gk (1 - p_gk), S_g[k, l] = -p_gk p_gl
#                (Yang and Dalton 2012, SAS Global Forum paper 335-2012; Austin 2009, Commun
#                Stat Simul Comput 38:1228-34); with two levels this is the binary formula
#                (p_t - p_c) / sqrt((p_t (1 - p_t) + p_c (1 - p_c)) / 2).
#                The inverse is MASS::ginv (a generalised inverse, as tableone's ExtractSmd).
#   missing values are left out of each variable.
#   risk difference p1 - p2, Newcombe (1998) method 10: Wilson score limits of each proportion
#                (prop.test(correct = FALSE)$conf.int), combined as
#                L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2),  U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
suppressPackageStartupMessages({
  library(survival)
  library(MASS)
})
out <- file.path("tests", "reference", "balance")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

smd_continuous <- function(t, c) {
  t <- t[!is.na(t)]; c <- c[!is.na(c)]
  (mean(t) - mean(c)) / sqrt((var(t) + var(c)) / 2)
}
smd_categorical <- function(t, c) {
  t <- t[!is.na(t)]; c <- c[!is.na(c)]
  lev <- sort(unique(c(as.character(t), as.character(c))))
  pt <- as.numeric(table(factor(t, levels = lev))) / length(t)
  pc <- as.numeric(table(factor(c, levels = lev))) / length(c)
  if (length(lev) < 2) return(0)
  pt <- pt[-1]; pc <- pc[-1]
  cov_g <- function(p) { s <- -outer(p, p); diag(s) <- p * (1 - p); s }
  s <- (cov_g(pt) + cov_g(pc)) / 2
  d <- pt - pc
  sqrt(as.numeric(t(d) %*% ginv(s) %*% d))
}

# ---------------------------------------------------------------- small literal cases
cases <- list(
  list(name = "continuous_small", kind = "continuous",
       t = c(30, 50, 41), c = c(62, 20)),
  list(name = "continuous_with_missing", kind = "continuous",
       t = c(1.5, 2.5, NA, 4, 7), c = c(2, 3, 3, NA)),
  list(name = "binary", kind = "categorical",
       t = c("M", "F", "F", "M", "M"), c = c("M", "F", "F", "F")),
  list(name = "three_levels", kind = "categorical",
       t = c("A", "A", "B", "C", "C", "C"), c = c("A", "B", "B", "B", "C")),
  list(name = "level_in_one_arm_only", kind = "categorical",
       t = c("A", "A", "B", "B", "D"), c = c("A", "B", "B", NA, "C", "C"))
)
small <- do.call(rbind, lapply(cases, function(k) {
  v <- if (k$kind == "continuous") smd_continuous(k$t, k$c) else smd_categorical(k$t, k$c)
  data.frame(case = k$name, smd = g17(abs(v)))
}))
write.csv(small, file.path(out, "smd_small.csv"), row.names = FALSE, quote = FALSE)

# ---------------------------------------------------------------- pbc: the randomised trial
p <- pbc[!is.na(pbc$trt), c("id", "trt", "age", "sex", "edema", "stage", "bili", "chol")]
p$edema <- as.character(p$edema)
p$stage <- as.character(p$stage)
write.csv(p, file.path(out, "pbc.csv"), row.names = FALSE, quote = FALSE, na = "")
t <- p[p$trt == 2, ]; c <- p[p$trt == 1, ]
pbc_ref <- data.frame(
  variable = c("age", "bili", "chol", "sex", "edema", "stage"),
  kind = c("continuous", "continuous", "continuous", "categorical", "categorical", "categorical"),
  smd = g17(abs(c(
    smd_continuous(t$age, c$age), smd_continuous(t$bili, c$bili), smd_continuous(t$chol, c$chol),
    smd_categorical(t$sex, c$sex), smd_categorical(t$edema, c$edema), smd_categorical(t$stage, c$stage)
  )))
)
write.csv(pbc_ref, file.path(out, "smd_pbc.csv"), row.names = FALSE, quote = FALSE)

# ---------------------------------------------------------------- risk differences
newcombe <- function(x1, n1, x2, n2, conf = 0.95) {
  w1 <- prop.test(x1, n1, conf.level = conf, correct = FALSE)$conf.int
  w2 <- prop.test(x2, n2, conf.level = conf, correct = FALSE)$conf.int
  p1 <- x1 / n1; p2 <- x2 / n2; d <- p1 - p2
  c(d, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
rd_cases <- data.frame(
  x1 = c(56, 9, 0, 5, 1, 10), n1 = c(70, 10, 10, 56, 29, 10),
  x2 = c(48, 3, 0, 0, 0, 0), n2 = c(80, 10, 20, 29, 20, 10)
)
rd <- t(mapply(newcombe, rd_cases$x1, rd_cases$n1, rd_cases$x2, rd_cases$n2))
rd_ref <- cbind(rd_cases, risk_difference = g17(rd[, 1]), conf_low = g17(rd[, 2]), conf_high = g17(rd[, 3]))
write.csv(rd_ref, file.path(out, "risk_difference.csv"), row.names = FALSE, quote = FALSE)
cat("wrote", out, "\n")

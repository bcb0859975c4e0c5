# Reference values for helpers.competing_risks.fine_gray, computed with cmprsk::crr.
#
# Run from the repository root:   Rscript tests/reference/fine_gray.R
# Written with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
#
# Writes into tests/reference/fine_gray/:
#   <case>.csv   the data set (simulated ones are rounded to 6 decimals, then read back, so
#                R and Python fit exactly the same doubles)
#   <case>.json  the call (columns, cause, cengroup, gtol, maxiter) and crr's results with 17
#                significant digits: coef, var (robust, crr's default), inf (information matrix
#                as returned by crr), invinf (its inverse, the naive variance), loglik,
#                loglik_null, converged, and the Wald p-values of summary.crr.
#
# bmt.csv is not written here: it is scikit-survival's copy of the bmt data of cmprsk's
# examples (Scrucca et al. 2007), exported once with Python:
#   x, y = sksurv.datasets.load_bmt()
#   DataFrame({"ftime": y["ftime"], "status": y["status"], "dis": x["dis"].astype(int)}).to_csv(...)
#
# Design matrices are built here with the same conventions as fine_gray(): a character
# column is dummy coded with the first level of sort(unique(x)) as reference, terms named
# "COL[level]"; numeric columns enter as they are; an interaction ("A", "B") adds the
# products of every A column with every B column, named "a_term:b_term".

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

out_dir <- file.path("tests", "reference", "fine_gray")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# ---- minimal JSON writer (jsonlite is not installed) ------------------------------------
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
    return(paste0("[", paste(vapply(x, json_value, ""), collapse = ", "), "]"))
  }
  if (is.matrix(x)) {
    rows <- apply(x, 1, function(r) paste0("[", paste(num(r), collapse = ", "), "]"))
    return(paste0("[", paste(rows, collapse = ", "), "]"))
  }
  if (is.logical(x) && length(x) == 1) return(if (x) "true" else "false")
  if (is.character(x)) {
    s <- paste0('"', x, '"')
    return(if (length(x) == 1) s else paste0("[", paste(s, collapse = ", "), "]"))
  }
  if (length(x) == 1) return(num(x))
  paste0("[", paste(num(x), collapse = ", "), "]")
}

# ---- design matrix with fine_gray()'s naming -------------------------------------------
term_columns <- function(d, col) {
  x <- d[[col]]
  if (is.character(x) || is.factor(x)) {
    lev <- if (is.factor(x)) levels(x) else sort(unique(x))
    m <- sapply(lev[-1], function(l) as.numeric(x == l))
    m <- matrix(m, nrow = nrow(d))
    colnames(m) <- paste0(col, "[", lev[-1], "]")
    return(m)
  }
  m <- matrix(as.numeric(x), ncol = 1)
  colnames(m) <- col
  m
}
design <- function(d, covariates, interactions = list()) {
  parts <- lapply(covariates, function(col) term_columns(d, col))
  for (ia in interactions) {
    a <- term_columns(d, ia[1])
    b <- term_columns(d, ia[2])
    for (i in seq_len(ncol(a))) for (j in seq_len(ncol(b))) {
      m <- matrix(a[, i] * b[, j], ncol = 1)
      colnames(m) <- paste0(colnames(a)[i], ":", colnames(b)[j])
      parts[[length(parts) + 1]] <- m
    }
  }
  do.call(cbind, parts)
}

# ---- one reference case ------------------------------------------------------------------
run_case <- function(name, data_file, duration_col, event_col, covariates,
                     interactions = list(), cengroup_col = NULL, cause = 1,
                     gtol = 1e-9, maxiter = 50, note = "") {
  d <- read.csv(file.path(out_dir, data_file), stringsAsFactors = FALSE)
  x <- design(d, covariates, interactions)
  args <- list(ftime = d[[duration_col]], fstatus = d[[event_col]], cov1 = x,
               failcode = cause, cencode = 0, gtol = gtol, maxiter = maxiter)
  if (!is.null(cengroup_col)) args$cengroup <- d[[cengroup_col]]
  fit <- do.call(crr, args)
  se <- sqrt(diag(fit$var))
  res <- list(
    case = name,
    note = note,
    source = "R 4.2.2, survival 3.5-3, cmprsk 2.2-11: cmprsk::crr",
    data = data_file,
    duration_col = duration_col,
    event_col = event_col,
    covariates = as.list(covariates),
    interactions = lapply(interactions, function(ia) as.list(ia)),
    cengroup_col = cengroup_col,
    cause = cause,
    gtol = gtol,
    maxiter = maxiter,
    n = fit$n,
    n_events = sum(d[[event_col]] == cause),
    terms = as.list(colnames(x)),
    coef = unname(fit$coef),
    std_error = unname(se),
    p_value = unname(2 * pnorm(-abs(fit$coef / se))),
    var = unname(fit$var),
    inf = unname(fit$inf),
    invinf = unname(fit$invinf),
    loglik = fit$loglik,
    loglik_null = fit$loglik.null,
    converged = fit$converged
  )
  ia_terms <- grep(":", colnames(x))
  if (length(ia_terms) > 0) {
    b <- fit$coef[ia_terms]
    stat <- drop(t(b) %*% solve(fit$var[ia_terms, ia_terms], b))
    res$wald_interaction <- list(terms = as.list(colnames(x)[ia_terms]), statistic = stat,
                                 df = length(ia_terms),
                                 p_value = pchisq(stat, length(ia_terms), lower.tail = FALSE))
  }
  writeLines(json_value(res), file.path(out_dir, paste0(name, ".json")))
  cat(sprintf("%-22s n=%5d converged=%s coef=%s\n", name, fit$n, fit$converged,
              paste(signif(fit$coef, 6), collapse = " ")))
  invisible(fit)
}

write_data <- function(d, file) {
  num_cols <- vapply(d, is.double, TRUE)
  d[num_cols] <- lapply(d[num_cols], function(v) round(v, 6))
  write.csv(d, file.path(out_dir, file), row.names = FALSE)
}

# Latent cause-specific exponential times with uniform censoring.
sim_latent <- function(n, lp1, lp2, rate1 = 0.10, rate2 = 0.07, cmax = 25) {
  t1 <- rexp(n, rate1 * exp(lp1))
  t2 <- rexp(n, rate2 * exp(lp2))
  cens <- runif(n, 0, cmax)
  time <- pmin(t1, t2, cens)
  status <- ifelse(time == cens, 0L, ifelse(time == t1, 1L, 2L))
  list(time = time, status = status)
}

# ---- (1) bmt from scikit-survival (ties, events at time 0) -----------------------------
run_case("bmt", "bmt.csv", "ftime", "status", "dis",
         note = "scikit-survival load_bmt (cmprsk example data); events at time 0 and ties")
run_case("bmt_cause2", "bmt.csv", "ftime", "status", "dis", cause = 2,
         note = "bmt with the second cause as cause of interest")

# ---- (1b) a tiny data set, one patient per line (also written out in the tests) ---------
tiny <- data.frame(
  time   = c(1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10),
  status = c(1, 2, 0, 1, 0, 1, 2, 1, 0, 1, 2, 0),
  x      = c(0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1)
)
write_data(tiny, "tiny.csv")
run_case("tiny", "tiny.csv", "time", "status", "x",
         note = "12 patients with ties across causes and censoring; written out in the tests")

# ---- (2) survival::myeloid with a derived competing-risks endpoint ---------------------
# Endpoint: relapse (cause 1) at rltime; death without relapse (cause 2) at futime when
# death == 1 and rltime is missing; otherwise censored at futime (alive without relapse).
m <- survival::myeloid
m$relapse_time <- ifelse(is.na(m$rltime), m$futime, m$rltime)
m$relapse_status <- ifelse(!is.na(m$rltime), 1L, ifelse(m$death == 1, 2L, 0L))
m$sex <- as.character(m$sex)
write_data(m[, c("id", "trt", "sex", "relapse_time", "relapse_status")], "myeloid.csv")
run_case("myeloid", "myeloid.csv", "relapse_time", "relapse_status", c("trt", "sex"),
         note = paste("survival::myeloid; cause 1 = relapse (rltime), cause 2 = death",
                      "without relapse (futime, death == 1), else censored at futime"))
run_case("myeloid_interaction", "myeloid.csv", "relapse_time", "relapse_status",
         c("trt", "sex"), interactions = list(c("trt", "sex")),
         note = "myeloid endpoint with a trt-by-sex interaction")

# ---- (3) simulated data sets -------------------------------------------------------------
set.seed(20240521)

# heavy ties: integer times 1..12, ties within and across causes and with censoring
n <- 400
arm <- sample(c("placebo", "sorafenib"), n, replace = TRUE)
age <- round(rnorm(n, 45, 12))
s <- sim_latent(n, -0.5 * (arm == "sorafenib") + 0.02 * (age - 45), 0.3 * (arm == "sorafenib"),
                rate1 = 0.12, rate2 = 0.08, cmax = 15)
d <- data.frame(time = pmin(ceiling(s$time), 12), status = s$status, ARM = arm, AGE = age)
write_data(d, "sim_ties.csv")
run_case("sim_ties", "sim_ties.csv", "time", "status", c("ARM", "AGE"),
         note = "integer times 1..12: heavy ties within and across causes and with censoring")
run_case("sim_ties_crr_defaults", "sim_ties.csv", "time", "status", c("ARM", "AGE"),
         gtol = 1e-6, maxiter = 10,
         note = paste("crr's own defaults gtol = 1e-6, maxiter = 10: crr stops one step earlier",
                      "than with gtol = 1e-9 (coefficients differ by 1.8e-6 relative)"))

# three-level categorical and a continuous covariate
n <- 500
donor <- sample(c("HAPLO", "MRD", "MUD"), n, replace = TRUE, prob = c(0.3, 0.4, 0.3))
score <- rnorm(n)
s <- sim_latent(n, 0.4 * (donor == "MUD") - 0.3 * (donor == "MRD") + 0.5 * score,
                -0.2 * score)
d <- data.frame(time = s$time, status = s$status, DONORTYP = donor, SCORE = score)
write_data(d, "sim_categorical.csv")
run_case("sim_categorical", "sim_categorical.csv", "time", "status", c("DONORTYP", "SCORE"),
         note = "three-level categorical (reference HAPLO) and a standard normal covariate")
write_data(d[d$status != 0, ], "sim_no_censoring.csv")
run_case("sim_no_censoring", "sim_no_censoring.csv", "time", "status", c("DONORTYP", "SCORE"),
         note = "sim_categorical without its censored patients: no censoring at all")

# treatment-by-subgroup interaction
n <- 600
arm <- sample(c("placebo", "sorafenib"), n, replace = TRUE)
diag <- sample(c("ALL", "AML", "MDS"), n, replace = TRUE, prob = c(0.3, 0.5, 0.2))
s <- sim_latent(n, -0.6 * (arm == "sorafenib") * (diag == "AML") + 0.3 * (diag == "ALL"), 0)
d <- data.frame(time = s$time, status = s$status, ARM = arm, DIAG = diag)
write_data(d, "sim_interaction.csv")
run_case("sim_interaction", "sim_interaction.csv", "time", "status", c("ARM", "DIAG"),
         interactions = list(c("ARM", "DIAG")),
         note = "ARM x DIAG (three levels) interaction: two product terms")

# censoring distribution by group (cengroup); group B is censored heavily and early, so
# its censoring Kaplan-Meier ends before the last events of group A
n <- 400
grp <- sample(c("A", "B"), n, replace = TRUE)
x1 <- rbinom(n, 1, 0.5)
x2 <- rnorm(n)
s <- sim_latent(n, 0.5 * x1 + 0.3 * x2, -0.4 * x1)
cens <- ifelse(grp == "A", runif(n, 0, 40), runif(n, 0, 8))
time <- pmin(s$time, cens)
status <- ifelse(s$time <= cens, s$status, 0L)
d <- data.frame(time = time, status = status, CENTRE = grp, X1 = x1, X2 = x2)
d$time_int <- ceiling(d$time)
write_data(d, "sim_cengroup.csv")
run_case("sim_cengroup", "sim_cengroup.csv", "time", "status", c("X1", "X2"),
         cengroup_col = "CENTRE", note = "censoring KM estimated within CENTRE (cengroup)")
run_case("sim_cengroup_ties", "sim_cengroup.csv", "time_int", "status", c("X1", "X2"),
         cengroup_col = "CENTRE", note = "cengroup with integer (tied) times")

# three groups, two causes, three covariates, n = 1000
n <- 1000
grp3 <- sample(c("G1", "G2", "G3"), n, replace = TRUE)
z <- rnorm(n)
s <- sim_latent(n, 0.3 * (grp3 == "G2") - 0.4 * (grp3 == "G3") + 0.25 * z, 0.2 * z)
d <- data.frame(time = s$time, status = s$status, GROUP = grp3, Z = z)
write_data(d, "sim_n1000.csv")
run_case("sim_n1000", "sim_n1000.csv", "time", "status", c("GROUP", "Z"),
         note = "three groups (two dummies) + one continuous covariate, n = 1000")

# no competing events: crr reduces to Cox with Breslow ties
n <- 200
x <- rnorm(n)
s <- sim_latent(n, 0.7 * x, 0, rate2 = 1e-12)
d <- data.frame(time = ceiling(s$time), status = s$status, X = x)
stopifnot(!any(d$status == 2))
write_data(d, "sim_no_competing.csv")
run_case("sim_no_competing", "sim_no_competing.csv", "time", "status", "X",
         note = "no competing events, tied times: equals coxph(ties = 'breslow')")
cx <- coxph(Surv(time, status == 1) ~ X, data = read.csv(file.path(out_dir,
            "sim_no_competing.csv")), ties = "breslow", robust = TRUE,
            control = coxph.control(eps = 1e-10, iter.max = 50))
writeLines(json_value(list(
  source = "R 4.2.2, survival 3.5-3: coxph(Surv(time, status == 1) ~ X, ties = 'breslow', robust = TRUE)",
  coef = unname(coef(cx)), naive_var = unname(cx$naive.var), robust_var = unname(cx$var),
  loglik = cx$loglik[2])), file.path(out_dir, "sim_no_competing_coxph.json"))

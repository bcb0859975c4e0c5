"""Statistics that know nothing of any trial: Kaplan-Meier, log-rank, Cox, cumulative incidence, Gray's
test, Fine-Gray, subgroup effects. Data in, tidy frames out; every number checked against R."""

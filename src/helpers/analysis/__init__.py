"""The trial's analyses: the study definition and the validated trial in, unrounded tidy results out
(cohort, endpoints, safety). Calls the statistics; formats nothing."""

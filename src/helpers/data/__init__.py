"""Reading and checking the input: the data contract (schemas, reading, validation), the data cutoff and
the analysis populations. Reads the study definition; knows nothing of statistics."""

"""Presentation: tables (the only place numbers are rounded), figures, the report's prose, and reading a
run's results back for the report."""

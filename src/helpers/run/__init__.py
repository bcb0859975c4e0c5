"""Run machinery: make's parameters, the papermill runner, notebook set-up, the one writer of outputs,
provenance, rendering and reproduction of the report."""

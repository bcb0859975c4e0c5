# NCT04674345 analysis pipeline. `make` (or `make help`) lists the targets. Needs GNU make >= 4.3.
#
# Variables a user turns (make report CUTOFF=2025-06-30 DATA_DIR=/path/to/adam OUT_DIR=/tmp/interim).
# Each is one `NAME ?= default## help` line here and one row in src/helpers/run/params.py (its check and
# where its value goes). Make never puts their values into a shell command (see "Parameters" below).
DATA_DIR   ?= data/synthetic## ADaM-like input folder (csv, parquet or xpt); default: the synthetic trial
CUTOFF     ?=## data cutoff date YYYY-MM-DD; empty = use the data as delivered
STUDY      ?= studies/nct04674345.yaml## study definition: arms, endpoints, labels, subgroups, landmarks
POPULATION ?=## analysis population: a population of the study; empty = its default_population
STRICT     ?= 0## 1 = every data finding is an error (stops the run)
SEED       ?= 20201215## seed for anything random inside the analyses
PATIENT_LISTINGS ?= 0## 1 = also write patient-level listings (one row per patient, with USUBJID) into the run folder
REPORT     ?= closed## closed: by arm, for the Data Monitoring Committee only; open: pooled over the arms, for the trial team
PORT       ?= 5006## make explore: the port it serves on, at 127.0.0.1 (0: any free port)
RENDERER   ?= auto## report renderer: auto (quarto when on PATH, else nbconvert), quarto or nbconvert
OUT_DIR    ?=## run folder; empty = reports/<data folder>[-cut<CUTOFF>][-<POPULATION>]-<dmc-closed|open>
PYTHON     ?= python3## interpreter (>= 3.11) that creates the virtual environment
N_PATIENTS ?= 346## synthetic trial (make data): number of patients
DATA_SEED  ?= 20201215## synthetic trial (make data): seed
# Reproduction (make freeze / make verify): the fixed build date and the committed manifest.
REPRO_EPOCH := 1735689600
MANIFEST    := tests/reference/report-manifest.sha256

VENV   := .venv
PY     := $(VENV)/bin/python
KERNEL := nct04674345

SYNTHETIC_DIR := data/synthetic
NOTEBOOKS := 01_cohort 02_relapse 03_safety 04_subgroups 05_interim
HELPERS_SRC := $(shell find src/helpers -type f \( -name '*.py' -o -path 'src/helpers/run/templates/*' \) ! -path '*/__pycache__/*' | sort)
INSTALLED := $(VENV)/.installed
KERNELSPEC := $(VENV)/share/jupyter/kernels/$(KERNEL)/kernel.json

# --- Parameters ------------------------------------------------------------------------------
# While make reads this file, each variable's raw text ($(value ...): a `$` stays a `$`) is written
# with $(file ...) into a fresh temporary folder, and `python -m helpers.run.params sync` checks every
# value, stops here with one message on a bad one, and writes the run's state files
# (OUT_DIR/.make/params.json, renderer-choice, inputs.sha256; data/.params-synthetic), each only
# when its content changes, so that exactly what depends on a value re-runs and `make -n report`
# is exact. The recipes read those files; no user value is ever part of a command line.
# RUN is the run folder as make's targets name it: OUT_DIR itself, or reports/.links/<hash>
# pointing to it when OUT_DIR has characters make cannot use in a target (spaces, quotes...).
USER_VARS := $(shell sed -n -E 's/^([A-Z_]+) +\?=.*##.*/\1/p' Makefile)
BOOT_PY := $(if $(wildcard $(PY)),$(PY),python3)
ifneq ($(filter-out help clean distclean,$(or $(MAKECMDGOALS),help)),)
  _REQ := $(shell mktemp -d)
  _IGNORED := $(foreach v,$(USER_VARS),$(file >$(_REQ)/var.$(v),$(value $(v))))$(file >$(_REQ)/goals,$(MAKECMDGOALS))
  _STATUS := $(shell PYTHONPATH=src $(BOOT_PY) -m helpers.run.params sync '$(_REQ)' && echo ok)
  override OUT_DIR := $(file <$(_REQ)/out_dir)
  RUN := $(file <$(_REQ)/run)
  SYNTHETIC_RUN := $(file <$(_REQ)/synthetic)
  _IGNORED := $(shell rm -rf '$(_REQ)')
  ifneq ($(_STATUS),ok)
    $(error invalid make variable (message above); nothing was run)
  endif
endif
export PYTHON

EXECUTED  := $(NOTEBOOKS:%=$(RUN)/%.ipynb)
REPORT_NB := $(RUN)/90_report.ipynb
STATE     := $(RUN)/.make
INPUTS    := $(STATE)/inputs.sha256 $(STATE)/params.json

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: help report test test-fast lint lab explore data lock clean distclean freeze verify

help: ## list targets and the variables you can set
	@echo "NCT04674345 analysis. Two commands on a fresh clone: 'make report', then 'make test'."
	@echo
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' Makefile | sed -E 's/^([a-z-]+):.*## (.*)/\1\t\2/' | awk -F'\t' '{ printf "  %-18s%s\n", $$1, $$2 }'
	@echo
	@echo "Variables (make report VAR=value):"
	@grep -E '^[A-Z_]+ +\?=.*## ' Makefile | sed -E 's/^([A-Z_]+) +\?= *([^#]*)## (.*)/\1\t\3 [\2]/' | awk -F'\t' '{ printf "  %-18s%s\n", $$1, $$2 }'

report: $(RUN)/report.html $(RUN)/report.pdf ## run every analysis notebook with papermill and render the report (HTML + PDF)
	@$(PY) -m helpers.run.pipeline summary --run '$(RUN)'

test: $(INSTALLED) $(KERNELSPEC) $(SYNTHETIC_DIR)/SHA256SUMS ## set up and run the whole test suite
	$(PY) -m pytest -n 2 --dist loadgroup tests
	@echo "Notebooks top to bottom with their default parameters, as in JupyterLab (nbval):"
	$(PY) -m pytest -p no:xdist --nbval-lax notebooks

test-fast: $(INSTALLED) $(KERNELSPEC) $(SYNTHETIC_DIR)/SHA256SUMS ## the edit-test loop: every test but the end-to-end make runs
	$(PY) -m pytest -n 2 --dist loadgroup -m "not e2e" tests

lint: $(INSTALLED) ## ruff (lint and format check) and mypy, as CI runs them
	$(VENV)/bin/ruff check src tests benchmarks notebooks
	$(VENV)/bin/ruff format --check src tests benchmarks notebooks
	$(VENV)/bin/mypy

lab: $(INSTALLED) $(KERNELSPEC) $(SYNTHETIC_DIR)/SHA256SUMS ## open JupyterLab on the project kernel
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

explore: $(STATE)/validated $(INSTALLED) ## serve the investigators' app on 127.0.0.1 and print its address (REPORT=open: pooled)
	$(PY) -m helpers.explore --run '$(RUN)'

data: $(SYNTHETIC_DIR)/SHA256SUMS ## write the synthetic trial (fixed seed) to data/synthetic

freeze: $(INSTALLED) $(KERNELSPEC) ## rebuild the synthetic run from scratch and write the manifest of its SHA-256 sums
	$(PY) -m helpers.run.reproduce freeze --manifest '$(MANIFEST)' --epoch $(REPRO_EPOCH)

verify: $(INSTALLED) $(KERNELSPEC) ## rebuild the synthetic run from scratch in a temporary folder and compare it with the manifest
	$(PY) -m helpers.run.reproduce verify --manifest '$(MANIFEST)'

lock: ## re-resolve every dependency and rewrite requirements.lock (needs the package registry)
	rm -rf .venv-lock
	"$$PYTHON" -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet ".[test]"
	{ echo "# Exact versions of every package; 'make lock' rewrites this file (see README)."; \
	  echo "# Resolved with $$(.venv-lock/bin/python --version) on $$(uname -sm)."; \
	  .venv-lock/bin/pip freeze --exclude-editable | grep -v '^nct04674345-analysis' ; } > requirements.lock
	rm -rf .venv-lock
	@echo "requirements.lock rewritten; update environment.yml to match (make test checks it)."

clean: ## remove run outputs under reports/ and the generated synthetic data
	find reports -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf $(SYNTHETIC_DIR) data/.params-synthetic

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)

# --- environment ---------------------------------------------------------------------------
$(INSTALLED): requirements.lock pyproject.toml
	@"$$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "ERROR: $$PYTHON is $$("$$PYTHON" --version 2>&1); this project needs Python >= 3.11 (make PYTHON=python3.11 ...)" >&2; exit 1; }
	test -x $(PY) || "$$PYTHON" -m venv $(VENV)
	$(PY) -m pip install --quiet --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(KERNELSPEC): $(INSTALLED)
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (NCT04674345)" >/dev/null
	touch $@

# --- data ----------------------------------------------------------------------------------
$(SYNTHETIC_DIR)/SHA256SUMS: $(filter src/helpers/synthetic/% src/helpers/study.py src/helpers/data/schemas.py,$(HELPERS_SRC)) studies/nct04674345.yaml $(INSTALLED) data/.params-synthetic
	$(PY) -m helpers.run.pipeline data

# --- run -----------------------------------------------------------------------------------
# Inputs are tracked by content: inputs.sha256 and params.json change (and so get newer) only when
# a checksum or a value does. Validation runs first (order-only: it does not re-run notebooks by
# itself); it moves the folder's previous outputs to .stale/ when the inputs changed or it fails.
$(STATE)/validated: $(INPUTS) $(if $(SYNTHETIC_RUN),$(SYNTHETIC_DIR)/SHA256SUMS) $(HELPERS_SRC) $(INSTALLED)
	$(PY) -m helpers.run.pipeline validate --run '$(RUN)'

$(RUN)/%.ipynb: notebooks/%.ipynb $(HELPERS_SRC) $(INPUTS) $(INSTALLED) | $(STATE)/validated $(KERNELSPEC)
	$(PY) -m helpers.run.pipeline run $* --run '$(RUN)'

$(REPORT_NB): $(EXECUTED)

$(RUN)/report.html $(RUN)/report.pdf &: $(REPORT_NB) $(STATE)/renderer-choice
	$(PY) -m helpers.run.pipeline render --run '$(RUN)'

print-%: # `make print-OUT_DIR`: the value of a variable (used by the tests)
	$(info $($*))@:

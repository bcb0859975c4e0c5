# NCT04674345 analysis pipeline. `make` (or `make help`) lists the targets.
#
# Variables a user turns (make report CUTOFF=2025-06-30 DATA_DIR=/path/to/adam OUT_DIR=/tmp/interim):
DATA_DIR   ?= data/synthetic## ADaM-like input folder (csv, parquet or xpt); default: the synthetic trial
CUTOFF     ?=## data cutoff date YYYY-MM-DD; empty = use the data as delivered
POPULATION ?= ITT## analysis population: ITT, SAFETY or PP
SEED       ?= 20201215## seed for anything random inside the analyses
RENDERER   ?= auto## report renderer: auto (quarto when on PATH, else nbconvert), quarto or nbconvert
PYTHON     ?= python3## interpreter (>= 3.11) that creates the virtual environment
# Synthetic trial (make data):
N_PATIENTS ?= 346
DATA_SEED  ?= 20201215

VENV   := .venv
PY     := $(VENV)/bin/python
KERNEL := nct04674345

SYNTHETIC_DIR := data/synthetic
ifeq ($(abspath $(DATA_DIR)),$(abspath $(SYNTHETIC_DIR)))
  RUN_NAME := synthetic
  DATA_DEPS := $(SYNTHETIC_DIR)/SHA256SUMS
else
  # A run on other data never shares (or overwrites) the default run's folder.
  RUN_NAME := $(notdir $(abspath $(DATA_DIR)))-$(shell printf '%s' '$(abspath $(DATA_DIR))' | sha256sum | cut -c1-8)
  DATA_DEPS := $(wildcard $(DATA_DIR)/*.csv $(DATA_DIR)/*.parquet $(DATA_DIR)/*.xpt)
endif
RUN_NAME := $(RUN_NAME)$(if $(CUTOFF),-cut$(CUTOFF))$(if $(filter-out ITT,$(POPULATION)),-$(POPULATION))
OUT_DIR ?= reports/$(RUN_NAME)## where executed notebooks, tables, figures and the report go

NOTEBOOKS := 01_cohort 02_relapse 03_safety 04_subgroups
EXECUTED  := $(NOTEBOOKS:%=$(OUT_DIR)/%.ipynb)
REPORT_NB := $(OUT_DIR)/90_report.ipynb
STATE     := $(OUT_DIR)/.make
HELPERS_SRC := $(wildcard src/helpers/*.py src/helpers/*/*.py) $(shell find src/helpers/templates -type f 2>/dev/null)
INSTALLED := $(VENV)/.installed
KERNELSPEC := $(VENV)/share/jupyter/kernels/$(KERNEL)/kernel.json
PARAMS := data_dir=$(abspath $(DATA_DIR)) cutoff=$(CUTOFF) population=$(POPULATION) seed=$(SEED)
DATA_PARAMS := n_patients=$(N_PATIENTS) seed=$(DATA_SEED)

# Files whose content is a set of variable values, rewritten (and so newer) only when a value
# changes, so that exactly what depends on it re-runs. They are written while make reads this
# file, not by a rule, so that `make -n report` shows exactly what `make report` would do.
write-if-changed = $(shell mkdir -p $(dir $(1)) && { printf '%s\n' '$(2)' | cmp -s - $(1) || printf '%s\n' '$(2)' > $(1); })
ifneq ($(filter report,$(MAKECMDGOALS)),)
  $(call write-if-changed,$(STATE)/params,$(PARAMS))
  $(call write-if-changed,$(STATE)/renderer-choice,$(RENDERER))
endif
ifneq ($(filter report test lab data,$(MAKECMDGOALS)),)
  $(call write-if-changed,data/.params-synthetic,$(DATA_PARAMS))
endif

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: help report test lab data lock clean distclean

help: ## list targets and the variables you can set
	@echo "NCT04674345 analysis. Two commands on a fresh clone: 'make report', then 'make test'."
	@echo
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14
	@echo
	@echo "Variables (make report VAR=value):"
	@grep -E '^[A-Z_]+ +\?=.*## ' $(MAKEFILE_LIST) | sed -E 's/^([A-Z_]+) +\?= *([^#]*)## (.*)/  \1\t\3 [\2]/' | expand -t 14

report: $(OUT_DIR)/report.html ## run every analysis notebook with papermill and render the report (HTML + PDF)
	@$(PY) -m helpers.pipeline summary $(OUT_DIR)

test: $(INSTALLED) $(KERNELSPEC) $(SYNTHETIC_DIR)/SHA256SUMS ## set up and run the whole test suite
	$(PY) -m pytest -n 2 --dist loadgroup tests
	@echo "Notebooks top to bottom with their default parameters, as in JupyterLab (nbval):"
	$(PY) -m pytest -p no:xdist --nbval-lax notebooks

lab: $(INSTALLED) $(KERNELSPEC) $(DATA_DEPS) ## open JupyterLab on the project kernel
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

data: $(SYNTHETIC_DIR)/SHA256SUMS ## write the synthetic trial (fixed seed) to data/synthetic

lock: ## re-resolve every dependency and rewrite requirements.lock (needs the package registry)
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet ".[test]"
	{ echo "# Exact versions of every package; 'make lock' rewrites this file (see README)."; \
	  echo "# Resolved with $$(.venv-lock/bin/python --version) on $$(uname -sm)."; \
	  .venv-lock/bin/pip freeze --exclude-editable | grep -v '^nct04674345-analysis' ; } > requirements.lock
	rm -rf .venv-lock
	@echo "requirements.lock rewritten; update environment.yml to match (make test checks it)."

clean: ## remove run outputs under reports/ and the generated synthetic data
	find reports -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf $(SYNTHETIC_DIR)

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)

# --- environment ---------------------------------------------------------------------------
$(INSTALLED): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "ERROR: $(PYTHON) is $$($(PYTHON) --version 2>&1); this project needs Python >= 3.11 (make PYTHON=python3.11 ...)" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(KERNELSPEC): $(INSTALLED)
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (NCT04674345)" >/dev/null
	touch $@

# --- data ----------------------------------------------------------------------------------
$(SYNTHETIC_DIR)/SHA256SUMS: $(wildcard src/helpers/synthetic/*.py) src/helpers/study.py src/helpers/schemas.py src/helpers/contract.py $(INSTALLED) data/.params-synthetic
	rm -rf $(SYNTHETIC_DIR).tmp
	$(PY) -m helpers.synthetic --out $(SYNTHETIC_DIR).tmp --n-patients $(N_PATIENTS) --seed $(DATA_SEED)
	cd $(SYNTHETIC_DIR).tmp && sha256sum *.csv > SHA256SUMS
	rm -rf $(SYNTHETIC_DIR) && mv $(SYNTHETIC_DIR).tmp $(SYNTHETIC_DIR)

# When a target is asked for directly (not through `report`), the value files may not exist yet.
data/.params-synthetic:
	@printf '%s\n' '$(DATA_PARAMS)' > $@
$(STATE)/params:
	@mkdir -p $(@D) && printf '%s\n' '$(PARAMS)' > $@
$(STATE)/renderer-choice:
	@mkdir -p $(@D) && printf '%s\n' '$(RENDERER)' > $@

# Validate the input once, before any notebook, so a contract error is the first thing printed.
$(STATE)/validated: $(DATA_DEPS) $(STATE)/params $(HELPERS_SRC) $(INSTALLED)
	$(PY) -m helpers.contract validate $(DATA_DIR) --population $(POPULATION) $(if $(CUTOFF),--cutoff $(CUTOFF))
	touch $@

# --- notebooks and report ------------------------------------------------------------------
$(OUT_DIR)/%.ipynb: notebooks/%.ipynb $(HELPERS_SRC) $(DATA_DEPS) $(STATE)/params $(STATE)/validated $(INSTALLED) | $(KERNELSPEC)
	$(PY) -m helpers.pipeline run $* --out-dir $(OUT_DIR) $(foreach p,$(PARAMS),-p '$(p)')

$(REPORT_NB): $(EXECUTED)

$(OUT_DIR)/report.html $(OUT_DIR)/report.pdf &: $(REPORT_NB) $(STATE)/renderer-choice
	$(PY) -m helpers.report render $(OUT_DIR) --renderer $(RENDERER)

print-%: # `make print-OUT_DIR`: the value of a variable (used by the tests)
	@echo '$($*)'

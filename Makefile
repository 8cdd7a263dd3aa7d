# The two commands of the README:
#   make study   set up, run the default study (snakemake --cores all), build the HTML report
#   make test    set up with test tools, run the checks and the test suite
# Both create .venv themselves. The CPU build of torch is installed first so that pip never
# pulls a CUDA build on a machine without a GPU (on a GPU machine, install your CUDA torch
# into .venv before `make`).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= all
CONFIG ?= config/config.yaml

.PHONY: study report test lint clean-results

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

study: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)
	$(MAKE) report

report: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores 1 --configfile $(CONFIG) --report results/report.html
	@echo "report: results/report.html"

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow/
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --lint --configfile config/smoke.yaml

test: lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q --durations=15

clean-results:
	rm -rf results resources logs .snakemake

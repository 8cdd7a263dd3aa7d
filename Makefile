# The two commands of the README:
#   make study   set up, run the default study (snakemake --cores all), build the HTML report
#   make test    set up with test tools, run the checks and the test suite
# Both create .venv themselves. torch is installed first by tools/install_torch.sh: without an
# NVIDIA GPU the CPU build from TORCH_INDEX (PyTorch's CPU wheel index; where it cannot be reached,
# the configured pip index), with one (nvidia-smi works) the CUDA build (TORCH_CUDA_INDEX picks the
# CUDA version; TORCH_VARIANT=cpu|cuda skips the detection). A torch already in .venv is kept.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= all
CONFIG ?= config/config.yaml
TORCH_INDEX      ?= https://download.pytorch.org/whl/cpu
TORCH_CUDA_INDEX ?=
TORCH_VARIANT    ?= auto
export TORCH_INDEX TORCH_CUDA_INDEX TORCH_VARIANT

.PHONY: study report test lint clean-results

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || bash tools/install_torch.sh $(BIN)/pip
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

# The two commands a user needs: `make run` and `make test`. Each sets up whatever is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch: on this project's machines `torch==2.13.0` resolves to a local CPU wheel.
# Elsewhere an unpinned `torch` from PyPI is a ~5 GB CUDA build; see the README for the alternatives.
TORCH ?= torch==2.13.0

.PHONY: setup run test

setup: $(VENV)/.installed
	@scripts/install-system-deps

# The stamp is written last, so an interrupted install is simply redone.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

run: setup
	$(BIN)/hnn run

test: setup
	$(BIN)/pytest

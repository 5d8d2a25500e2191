# The two commands a user needs: `make run` and `make test`. Each sets up whatever is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch: on this project's machines `torch==2.13.0` resolves to a local CPU wheel.
# Elsewhere an unpinned `torch` from PyPI is a ~5 GB CUDA build; see the README for the alternatives.
TORCH ?= torch==2.13.0

NOTEBOOK := notebooks/hacking_neural_networks.ipynb
# The lessons, in the order they are taught: what the handouts are made of.
LESSONS := $(NOTEBOOK) notebooks/hidden_layer.ipynb
PARAMS ?=

.PHONY: setup setup-test run test notebooks diagrams html slides bench

# What running hnn needs comes from pip alone: Graphviz arrives inside the pygraphviz wheel.
setup: $(VENV)/.installed

# The tests also need pytest, nbval and playwright, and from apt (as root) Chromium for the browser tests and bubblewrap for
# the grading sandbox.
setup-test: $(VENV)/.installed-test
	@scripts/install-system-deps

# Each stamp is written last, so an interrupted install is simply redone.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

# The walkthrough notebook, executed with papermill: `make run` for the defaults, `make run PARAMS=my.yml` for a
# YAML file of parameters (learning_rate: 0.5, epochs: 30, ...), written into the notebook's parameters cell;
# quoted, so that `make run PARAMS="my params.yml"` works too.
run: setup
	@mkdir -p out
	$(BIN)/python scripts/run-notebook out/hacking_neural_networks.ipynb $(if $(PARAMS),"$(PARAMS)")
	@echo "Executed notebook: out/hacking_neural_networks.ipynb (open it with: $(BIN)/jupyter lab out/hacking_neural_networks.ipynb)"

# Re-execute the committed notebooks after a change to hnn, so that their outputs are what the code produces.
notebooks: setup
	$(BIN)/python scripts/refresh-notebooks notebooks/*.ipynb

# The committed network diagrams ae0 … ae10 (.gv, .svg, .png) for the default hyperparameters.
diagrams: setup
	$(BIN)/hnn diagrams --out diagrams

# Handouts from the committed lessons' outputs, for a class without Jupyter: for each, one HTML page with every image
# and MathJax inside (out/hacking_neural_networks.html, out/hidden_layer.html), and reveal.js slides for a projector
# that open without a network (out/*.slides.html beside out/slides_files). npm fetches their JavaScript once.
html: setup
	for lesson in $(LESSONS); do $(BIN)/python scripts/export-handouts html $$lesson out || exit 1; done

slides: setup
	for lesson in $(LESSONS); do $(BIN)/python scripts/export-handouts slides $$lesson out || exit 1; done

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/pytest

# How fast hnn is, as ratios to floors timed in the same run (a notebook that only imports torch, a bare render, …):
# a Markdown table on stdout and benchmarks/results.json. About 6 minutes on 2 cores, `make test` included.
bench: setup-test
	$(BIN)/python benchmarks/run.py

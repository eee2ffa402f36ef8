# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test perf install clean

# torch first, pinned to the CPU build; the package's range is then already satisfied.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[models,release,dev]'
	touch $(STAMP)

install: $(STAMP)

# Every experiment (experiments/*.yaml and experiments/finetune/*.yaml), then the tables and the README.
run: $(STAMP)
	$(BIN)/bench validate
	$(BIN)/bench run --all

# Lint and type checks, the test suite, then the reproducibility gate: the default experiments must
# reproduce the committed tables.
test: $(STAMP)
	$(BIN)/ruff check bench tests
	$(BIN)/mypy
	$(BIN)/pytest
	$(BIN)/bench run --check

# Wall time and peak memory of the commands and of the scale benchmark, written to the README's performance block.
perf: $(STAMP)
	$(BIN)/bench perf

clean:
	rm -rf $(VENV)

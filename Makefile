# Two commands for a fresh machine with Python 3.11 and make:
#   make demo   runs the whole pipeline on the demo corpus (local folders, local Prefect)
#   make test   runs the test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench quality lock clean

# The venv is rebuilt only when the lockfile or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pagefold demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python tests/bench_ingest.py

# Extraction quality on ../shared/corpus/news-dev: plain trafilatura against `pagefold ingest`, per field.
quality: $(STAMP)
	$(BIN)/python tests/quality_report.py

# Re-pin every dependency (needs the network to PyPI); commit the result.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) demo-output .pytest_cache

# Two commands for a fresh machine with Python 3.11, 3.12 or 3.13 and make (PYTHON=python3.13 picks one):
#   make demo   runs the whole pipeline on the demo corpus (local folders, local Prefect)
#   make test   runs the test suite (make test-quick: its pure functions only, for the edit-test loop)
# Operating it with the Prefect UI (docs/operating.md), each in its own terminal:
#   make server   a local Prefect server and its UI at http://127.0.0.1:4200 (SQLite under ~/.prefect)
#   make deploy   registers the daily and backfill deployments (and the `pagefold` work pool), then says what
#                 their runs will read and what is still to set
#   make worker   the process that executes their runs on this machine (pagefold worker: it prints its settings)
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-quick test-smoke test-e2e check-install server deploy worker bench bench-start bench-ner quality quality-ner lock train-ner train-kinds clean

# Where `make server` listens and where `make deploy` and `make worker` find it. Only those three targets
# get these settings: `make demo`, `make test` and `make quality` use Pagefold's own local Prefect server.
PREFECT_SERVER_API_HOST ?= 127.0.0.1
PREFECT_SERVER_API_PORT ?= 4200
PAGEFOLD_WORK_POOL ?= pagefold
PAGEFOLD_SCHEDULE_CRON ?= 0 2 * * *
PAGEFOLD_SCHEDULE_TIMEZONE ?= UTC
server deploy worker: export PREFECT_SERVER_API_HOST := $(PREFECT_SERVER_API_HOST)
server deploy worker: export PREFECT_SERVER_API_PORT := $(PREFECT_SERVER_API_PORT)
# Prefect's telemetry off, as for the pagefold command (flows/prefect_defaults.py): no event sent, no notice.
server deploy worker: export DO_NOT_TRACK := 1
server: export PREFECT_SERVER_ANALYTICS_ENABLED := false
deploy worker: export PREFECT_API_URL ?= $(SERVER_API_URL)
deploy worker: export PAGEFOLD_WORK_POOL := $(PAGEFOLD_WORK_POOL)
deploy: export PAGEFOLD_SCHEDULE_CRON := $(PAGEFOLD_SCHEDULE_CRON)
deploy: export PAGEFOLD_SCHEDULE_TIMEZONE := $(PAGEFOLD_SCHEDULE_TIMEZONE)

# The venv is rebuilt only when a lockfile or the project metadata changes. The venv's own pip (whatever version
# the Python came with) installs only the pinned installer, uv, from requirements-bootstrap.lock (hash-checked);
# uv then installs requirements.lock exactly (every pin hash-checked, for Python 3.11-3.13): an old pip would
# resolve a locked package's extra (justext's lxml[html_clean]) to the index's newest release and refuse it.
# Bytecode is compiled at install, as pip does: without it every command compiles Prefect's imports anew
# where .pyc files are not written (PYTHONDONTWRITEBYTECODE), 1.6 s more per process.
$(STAMP): requirements.lock requirements-bootstrap.lock pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON) from requirements.lock (first time: about a minute)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
	  -r requirements-bootstrap.lock
	$(BIN)/uv pip install --python $(BIN)/python --require-hashes --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pagefold demo

# The suite on every core: pytest-xdist runs whole test files side by side, one process more than the CPUs
# (tests/conftest.py: the tests also wait on processes they start), a file's module fixtures once per file,
# the longest files first (tests/conftest.py, LONGEST_FILES); one local Prefect server, one S3 server and one
# service of warm extraction workers serve them all.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

# The edit-test loop: the tests of pure functions (no Prefect, no S3 server, no worker processes), in a minute
# or two. Tests that use them are marked slow (tests/conftest.py).
test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not e2e"

# A few tests of each layer (extraction, a real flow on a local and an S3 lake, entities): CI runs them on the
# Pythons other than the one the full suite runs on, e.g. `make PYTHON=python3.13 VENV=.venv-3.13 test-smoke`.
SMOKE_TESTS ?= tests/test_extract.py tests/test_ingest_flow.py tests/test_ingest_s3.py tests/test_entities.py
test-smoke: $(STAMP)
	$(BIN)/python -m pytest $(SMOKE_TESTS)

# The install exactly as a new user's first command does it: an empty venv, the Python's bundled pip, the
# lockfiles. A venv that works only on a warm machine (a pin the old pip cannot honour) fails here.
CHECK_VENV ?= build/check-install
check-install:
	rm -rf $(CHECK_VENV)
	$(MAKE) --no-print-directory VENV=$(CHECK_VENV) $(CHECK_VENV)/.installed
	$(CHECK_VENV)/bin/uv pip check --python $(CHECK_VENV)/bin/python
	$(CHECK_VENV)/bin/pagefold --help > /dev/null
	rm -rf $(CHECK_VENV)

# The browser test: Debian's chromium (Playwright's own browser download does not work here).
test-e2e: $(STAMP)
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/python -m pytest -m e2e

# The `prefect` command in another shell finds this server only through PREFECT_API_URL: without it, it
# starts a temporary server on the same SQLite file ("database is locked", runs left Late).
SERVER_API_URL = http://$(PREFECT_SERVER_API_HOST):$(PREFECT_SERVER_API_PORT)/api
define USE_SERVER
	@echo "In each shell where you run the prefect command, first run:"
	@echo "    export PREFECT_API_URL=$(SERVER_API_URL)"
endef

server: $(STAMP)
	$(USE_SERVER)
	$(BIN)/prefect server start

# Ends with `pagefold settings`: what the runs will read (this shell's environment, the server's variables), and
# for what is missing the command that sets it.
deploy: $(STAMP)
	@# A process pool is created when the pool does not exist; an existing one (a Kubernetes or Docker pool made
	@# by hand for scale-out) keeps its type and job template.
	$(BIN)/prefect --no-prompt work-pool inspect $(PAGEFOLD_WORK_POOL) >/dev/null 2>&1 || \
	  $(BIN)/prefect --no-prompt work-pool create $(PAGEFOLD_WORK_POOL) --type process
	$(BIN)/prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml
	$(USE_SERVER)
	$(BIN)/pagefold settings

# `pagefold worker` prints the settings its runs will read, refuses a pool whose online workers have others,
# starts one local Dask cluster for all its runs if PAGEFOLD_DASK_WORKERS is set, then runs `prefect worker start`.
worker: $(STAMP)
	$(BIN)/pagefold worker --pool $(PAGEFOLD_WORK_POOL)

bench: $(STAMP)
	$(BIN)/python tests/bench_ingest.py

# Where a one-page `pagefold ingest` spends its time, beside the floor (importing Prefect, trafilatura and spaCy and
# loading the model); BEFORE=DIR runs another checkout (with its own venv) in the same rounds, e.g. main's.
bench-start: $(STAMP)
	$(BIN)/python tests/bench_start.py $(if $(BEFORE),--before $(BEFORE))

# NER alone: each language's model (load time, pages/s) and batching (documents per call, nlp.pipe batch size).
bench-ner: $(STAMP)
	$(BIN)/python tests/bench_ner.py

# Train a language's NER pipeline and ship it in tasks/entities/pipelines/ (docs/entities.md):
#   make train-ner LANG=de [NER_SOURCES=DIR]
# The corpora are public repositories on GitHub, cloned on first use under NER_SOURCES as <owner>/<name>.git
# (git clone --bare) and read at pinned commits; nothing of them is committed.
# LANG names the language here only: the commands below run with a UTF-8 locale.
NER_SOURCES ?= $(HOME)/.cache/pagefold/sources
NER_WORK    ?= /tmp/pagefold-train-ner-$(LANG)
train-ner: $(STAMP)
	@test "$(origin LANG)" = "command line" || { echo "usage: make train-ner LANG=de [NER_SOURCES=DIR]"; exit 2; }
	rm -rf $(NER_WORK) && mkdir -p $(NER_WORK)
	env LANG=C.UTF-8 $(BIN)/python -m tasks.entities.training.corpora $(LANG) $(NER_WORK) --sources $(NER_SOURCES)
	for split in train dev test; do \
	  env LANG=C.UTF-8 $(BIN)/python -m spacy convert $(NER_WORK)/$$split.conll $(NER_WORK) --converter ner \
	    --n-sents 10 --lang $(LANG) || exit 1; done
	start=$$(date +%s); \
	env LANG=C.UTF-8 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m spacy train \
	  tasks/entities/training/$(LANG).cfg --output $(NER_WORK)/out \
	  --paths.train $(NER_WORK)/train.spacy --paths.dev $(NER_WORK)/dev.spacy && \
	echo $$(( $$(date +%s) - start )) > $(NER_WORK)/train_seconds
	env LANG=C.UTF-8 $(BIN)/python -m spacy evaluate $(NER_WORK)/out/model-best $(NER_WORK)/test.spacy \
	  --output $(NER_WORK)/test-metrics.json
	env LANG=C.UTF-8 $(BIN)/python -m tasks.entities.training.package $(LANG) $(NER_WORK)/out/model-best \
	  $(NER_WORK)/test-metrics.json $$(cat $(NER_WORK)/train_seconds)
	env LANG=C.UTF-8 $(BIN)/python -m tasks.entities.training.words $(LANG) --sources $(NER_SOURCES)

# The page-kind model, tasks/extraction/kinds_model.json (docs/development.md, "Training the page-kind model"):
# trained on wcxb-dev's training sites (../shared/corpus/wcxb-dev), news-dev and web-dev (../corpora/web-dev,
# rebuilt from public repositories when absent), all public; prints its site-grouped cross-validation.
train-kinds: $(STAMP)
	test -f ../corpora/web-dev/pages.jsonl.gz || $(BIN)/python -m tests.corpora.build_web_corpus --sources $(NER_SOURCES)
	$(BIN)/python -m tests.corpora.train_page_kinds

# Extraction quality on ../shared/corpus/news-dev, the corpora under ../corpora (web-dev) and wcxb-dev's tuning
# sites (web-holdout and wcxb-dev's set-aside sites with tests/quality_report.py --holdout, once, at the end):
# plain trafilatura against `pagefold ingest`, per field, side by side; then wcxb-dev's page kinds.
quality: $(STAMP) quality-ner
	$(BIN)/python tests/quality_report.py

# Entities on public NER test sets, per language: precision, recall and F1 of people, organisations and places
# (tasks/entities/training/benchmarks.py; the sets are public repositories under NER_SOURCES, as for train-ner,
# cloned on first use; tests/test_entity_quality.py holds the floors).
quality-ner: $(STAMP)
	env LANG=C.UTF-8 $(BIN)/python -m tasks.entities.training.benchmarks --sources $(NER_SOURCES)

# Re-pin every dependency for Python 3.11-3.13 (needs the network to PyPI); commit both files. UV_VERSION pins
# the installer itself (requirements-bootstrap.lock, with setuptools for the project's own editable install).
UV_VERSION ?= 0.13.9
lock: $(STAMP)
	printf 'uv==$(UV_VERSION)\nsetuptools\n' | $(BIN)/uv pip compile - --universal --python-version 3.11 \
	  --generate-hashes -o requirements-bootstrap.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dask --universal --python-version 3.11 \
	  --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .venv-* build demo-output .pytest_cache

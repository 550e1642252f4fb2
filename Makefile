# Two commands for a fresh machine with Python 3.11 and make:
#   make demo   runs the whole pipeline on the demo corpus (local folders, local Prefect)
#   make test   runs the test suite
# Operating it with the Prefect UI (README, "Operating Pagefold"), each in its own terminal:
#   make server   a local Prefect server and its UI at http://127.0.0.1:4200 (SQLite under ~/.prefect)
#   make deploy   registers the daily and backfill deployments (and the `pagefold` work pool)
#   make worker   the process that executes their runs on this machine
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-e2e server deploy worker bench bench-ner quality lock train-ner clean

# Where `make server` listens and where `make deploy` and `make worker` find it. Only those three targets
# get these settings: `make demo`, `make test` and `make quality` start their own temporary Prefect.
PREFECT_SERVER_API_HOST ?= 127.0.0.1
PREFECT_SERVER_API_PORT ?= 4200
PAGEFOLD_WORK_POOL ?= pagefold
PAGEFOLD_SCHEDULE_CRON ?= 0 2 * * *
PAGEFOLD_SCHEDULE_TIMEZONE ?= UTC
server deploy worker: export PREFECT_SERVER_API_HOST := $(PREFECT_SERVER_API_HOST)
server deploy worker: export PREFECT_SERVER_API_PORT := $(PREFECT_SERVER_API_PORT)
deploy worker: export PREFECT_API_URL ?= $(SERVER_API_URL)
deploy worker: export PAGEFOLD_WORK_POOL := $(PAGEFOLD_WORK_POOL)
deploy: export PAGEFOLD_SCHEDULE_CRON := $(PAGEFOLD_SCHEDULE_CRON)
deploy: export PAGEFOLD_SCHEDULE_TIMEZONE := $(PAGEFOLD_SCHEDULE_TIMEZONE)

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
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/prefect server start

deploy: $(STAMP)
	$(BIN)/prefect --no-prompt work-pool create $(PAGEFOLD_WORK_POOL) --type process --overwrite
	$(BIN)/prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml
	$(USE_SERVER)

worker: $(STAMP)
	$(BIN)/prefect worker start --pool $(PAGEFOLD_WORK_POOL)

bench: $(STAMP)
	$(BIN)/python tests/bench_ingest.py

# NER alone: each language's model (load time, pages/s) and batching (documents per call, nlp.pipe batch size).
bench-ner: $(STAMP)
	$(BIN)/python tests/bench_ner.py

# Train a language's NER pipeline and ship it in tasks/entities/pipelines/ (README, "Entity models"):
#   make train-ner LANG=de [NER_SOURCES=/work/.mirror]
# The corpora are public repositories fetched as bare git directories under NER_SOURCES (never committed).
# LANG names the language here only: the commands below run with a UTF-8 locale.
NER_SOURCES ?= /work/.mirror
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

# Extraction quality on ../shared/corpus/news-dev and the corpora under ../corpora (web-dev; web-holdout with
# tests/quality_report.py --holdout): plain trafilatura against `pagefold ingest`, per field, side by side.
quality: $(STAMP)
	$(BIN)/python tests/quality_report.py

# Re-pin every dependency (needs the network to PyPI); commit the result.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dask --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) demo-output .pytest_cache

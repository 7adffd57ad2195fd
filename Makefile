# The two commands: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pip prints a warning per package for this machine's local mirrors; they are noise.
PIPQUIET := 2>&1 | grep -v "^WARNING: Location" || true

.PHONY: install lock run ingest chat test lint bench eval eval-external fit-reader cross-fit bench-scale load-test chroma-server clean

LOCK := requirements.lock
# The CPU build of torch: on this machine's disk (/opt/wheels); elsewhere add
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu (not tried from here; its file must match the lock's sha256).
TORCH := torch==2.13.0

# Exact versions and sha256 of every package, from the lock; then the project itself, editable, with no resolving.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "Installing into $(VENV) from $(LOCK) (pinned versions, hashes checked)..."
	@$(PY) -m pip install -q --require-hashes --no-deps -r $(LOCK) >$(VENV)/install-lock.log 2>&1 \
		|| { grep -v "^WARNING: Location" $(VENV)/install-lock.log; exit 1; }
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . >$(VENV)/install-project.log 2>&1 \
		|| { cat $(VENV)/install-project.log; exit 1; }
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; echo "$(LOCK) does not fit pyproject.toml: run make lock"; exit 1; }
	@$(PY) -c "import assistant, ingest, sentence_transformers, chromadb" || (rm -f $(STAMP); exit 1)
	@touch $(STAMP)

install: $(STAMP)

# Refresh the lock after changing pyproject.toml (about 15 minutes: pip-compile hashes every file of every pin).
# It needs only pip-tools in the venv, not an install that fits the new pyproject.toml.
lock:
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q "pip-tools>=7.4" $(PIPQUIET)
	@echo "$(TORCH)" > $(VENV)/torch-pin.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(PY) -m piptools compile -q --extra dev --generate-hashes --allow-unsafe \
		--strip-extras --annotation-style line --no-emit-index-url --no-emit-find-links \
		--constraint $(VENV)/torch-pin.txt -o $(LOCK) pyproject.toml

ingest: install
	$(PY) -m assistant ingest

# One person on loopback: the Documents page may add and remove documents (ASSISTANT_CORPUS_EDITS=false forbids it).
run: ingest
	@if [ -f app.py ]; then ASSISTANT_CORPUS_EDITS=$${ASSISTANT_CORPUS_EDITS:-true} $(VENV)/bin/streamlit run app.py \
		--server.address 127.0.0.1; else $(PY) -m assistant chat; fi

chat: ingest
	$(PY) -m assistant chat

lint: install
	$(VENV)/bin/ruff check .

test: install lint
	$(PY) -m pytest

bench: install
	$(PY) -m evals.bench

eval: install  ## golden eval, ours vs baseline; reports in evals/out/; fails below evals/thresholds.toml
	$(PY) -m evals run --check
	$(PY) -m evals followups --check
	$(PY) -m evals near-misses --check

eval-external: install  ## integreat_qa_en benchmark, tune and test pages, over all pages then city-scoped (about 20 min with the first ingest)
	$(PY) -m evals external --check
	$(PY) -m evals external --scope-city --check

fit-reader: install  ## refit the reader's models on the tune splits (golden + benchmark) into assistant/data/reader.json
	$(PY) -m evals fit-reader --cache evals/out/fit-reader-cache.json

cross-fit: install  ## held-out figures on tune: each fold of the golden tune cases asked with a reader fitted without it
	$(PY) -m evals cross-fit --cache evals/out/fit-reader-cache.json

bench-scale: install  ## ingest/query/RSS/disk at 1k, 10k and 100k chunks, all embedded for real (about 2.5 h on 2 cores)
	$(PY) -m evals.bench.scale --sizes 1000,10000,100000 --always-real 100000

load-test: install  ## 50 concurrent sessions x 25 questions against the app's shared Services, during two re-ingests
	$(PY) -m evals.bench.load --sessions 50 --questions 25

chroma-server: install
	$(VENV)/bin/chroma run --path .data/chroma-server --host 127.0.0.1 --port 8000

clean:
	rm -rf .data evals/out bench/out

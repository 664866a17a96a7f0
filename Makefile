# Guichet Francisation — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app run
STAMP := $(VENV)/.installed

.PHONY: run test bench screenshots translations setup db demo worker lint clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) compile-translations

compile-translations: $(STAMP)
	$(VENV)/bin/pybabel compile -f -d translations --statistics

db: setup
	$(FLASK) db upgrade
	$(FLASK) seed-roles

demo: db
	$(FLASK) seed-demo --if-empty

run: demo
	$(FLASK) demo-accounts
	EMBEDDED_SCHEDULER=true $(FLASK) run --host 127.0.0.1 --port 5000

# Two pytest-xdist workers (one per core here); each builds its own databases and Redis db.
TEST_WORKERS ?= 2

test: setup
	$(PY) -m pytest -rs -n $(TEST_WORKERS) --dist loadfile

bench: setup
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(PY) -m bench

screenshots: setup
	@command -v chromium >/dev/null || { echo "Chromium is missing: apt-get install -y chromium"; exit 1; }
	$(PY) -m tests.browser.screenshots

translations: $(STAMP)
	$(FLASK) translations

worker: setup
	$(FLASK) worker

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m tests.test_import_graph

clean:
	rm -rf $(VENV) instance .pytest_cache

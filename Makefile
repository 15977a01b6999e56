# Rectify: `make run` (demo at http://127.0.0.1:8000) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test bench setup setup-test system-run system-test messages lint security

$(VENV)/.installed-run: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

system-run:
	bin/system-deps run

system-test:
	bin/system-deps test

messages:
	$(PY) manage.py compilemessages -v0 --ignore=.venv

setup: system-run $(VENV)/.installed-run messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0

setup-test: system-test $(VENV)/.installed-test messages
	$(PY) manage.py collectstatic --noinput -v0

run: setup
	$(PY) manage.py demo
	VENV=$(VENV) bin/serve

test: setup-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Benchmarks (bench/README.md): every hot path against its baseline, SQLite and PostgreSQL, into
# bench/results.md. `make bench QUICK=1` is the small run CI does so that the benchmarks never rot.
bench: system-run $(VENV)/.installed-run messages
	$(PY) bench/run.py $(if $(QUICK),--quick) $(if $(BENCH_OUT),--out $(BENCH_OUT))

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# bandit over our code and pip-audit over the installed dependencies (.ci/security says what each found).
security: $(VENV)/.installed-test
	$(PY) .ci/security

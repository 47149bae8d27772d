# Hewei: local development entry points.
#   make run    the local stack (moto + chalice local + pump + demo data)
#   make test   unit, integration and end-to-end tests
#   make clean  remove the virtualenv, caches and local state

PYTHON_BOOT := $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.stamp
PIP := $(PY) -m pip -q --disable-pip-version-check

.PHONY: .venv run test clean bench

.venv: $(STAMP)

# Re-installed whenever a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m devstack

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) .local .pytest_cache chalice.out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/local_latency.py

# Hewei: local development entry points.
#   make run    the local stack (moto + chalice local + pump + demo data)
#   make test   unit, integration and end-to-end tests
#   make clean  remove the virtualenv, caches and local state

PYTHON_BOOT := $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.stamp
PIP := $(PY) -m pip -q --disable-pip-version-check

.PHONY: .venv run test clean bench chromium

.venv: $(STAMP)

# Re-installed whenever a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m devstack

# loadfile: a module's tests share a worker, so each module-scoped fixture (a synth,
# the local stack) is built once. (loadgroup would also do, but pytest 9.2 ignores its marks.)
test: $(STAMP) chromium
	$(PY) -m pytest -q -n 2 --dist loadfile

# The console's browser tests use Debian's Chromium, installed here when missing (as root, or with sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium and chromium-driver"; \
	  $(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver; }; }

clean:
	rm -rf $(VENV) .local .pytest_cache chalice.out .chalice/deployments infra/chalice.out infra/cdk.out
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/local_latency.py
	$(PY) bench/visits.py
	$(PY) bench/patrol_reports.py
	$(PY) bench/ledger_import.py
	$(PY) bench/ledger.py
	$(PY) bench/agreement_document.py
	$(PY) bench/attachments.py
	$(PY) bench/public_lookup.py
	$(PY) bench/hard_cases.py
	$(PY) bench/retention.py
	$(PY) bench/audit.py
	$(PY) bench/dashboard.py
	$(PY) bench/console.py

# ------------------------------------------------------------ cloud (infra/)
# requirements-infra.txt (AWS CDK, chalice[cdkv2], cfn-lint) is installed through
# requirements-dev.txt, so `make test` runs tests/infra too; re-install when it changes.
$(STAMP): requirements-infra.txt

STAGE ?= dev

.PHONY: synth bench-package
# The stack of STAGE (default dev) into infra/cdk.out/, offline (no AWS credentials), then cfn-lint.
synth: $(STAMP)
	rm -rf infra/chalice.out infra/cdk.out
	cd infra && CDK_OUTDIR=cdk.out CDK_CONTEXT_JSON='{"stage": "$(STAGE)"}' ../$(PY) app.py
	$(PY) -c 'import sys; from cfnlint.runner import main; sys.exit(main())' infra/cdk.out/hewei-$(STAGE).template.json

# Lambda package size and cold import time of app.py, merged into bench/results.json.
bench-package: $(STAMP)
	$(PY) bench/package.py

.PHONY: agreement-template
# The Word template of the agreement document (人民调解协议书) from its script, over the committed one.
agreement-template: $(STAMP)
	$(PY) scripts/build_agreement_template.py

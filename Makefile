# Hewei: local development entry points.
#   make run    the local stack (moto + chalice local + pump + demo data)
#   make test   unit, integration and end-to-end tests
#   make reset  forget the local stack's state (.local/): the next `make run` starts afresh
#   make clean  remove the virtualenv, caches and local state

# The project's Python: the same minor version locally, in CI and on Lambda (LAMBDA_PYTHON in
# infra/hewei_infra/packaging.py and .python-version say the same; tests/infra/test_python.py checks).
# `python3.X` if it runs (a pyenv shim of a version pyenv has not selected does not), else pyenv's
# build of it, found without pyenv being set up; else nothing, and `make` stops saying what is needed.
PYTHON_VERSION := 3.13
COMMA := ,
PYTHON_BOOT := $(firstword $(foreach p,$(shell command -v python$(PYTHON_VERSION) 2>/dev/null) \
  $(sort $(wildcard $(HOME)/.pyenv/versions/$(PYTHON_VERSION).*/bin/python$(PYTHON_VERSION))),\
  $(shell "$(p)" -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(COMMA),$(PYTHON_VERSION))))' \
    >/dev/null 2>&1 && echo "$(p)")))
VENV := .venv
PY := $(VENV)/bin/python
# One virtualenv, two layers: what the local stack needs (requirements-local.txt, `make run`),
# then the rest for tests, infra and benches (requirements-dev.txt). Each has its stamp, so
# `make run` after `make test` installs nothing and `make test` after `make run` only the rest.
# The stamps name the Python: a .venv of another version is built again, not used.
LOCAL_STAMP := $(VENV)/.local-$(PYTHON_VERSION).stamp
DEV_STAMP := $(VENV)/.dev-$(PYTHON_VERSION).stamp
STAMP := $(DEV_STAMP)
PIP := $(PY) -m pip -q --disable-pip-version-check

.PHONY: .venv venv-local run reset test clean bench chromium python

.venv: $(STAMP)
venv-local: $(LOCAL_STAMP)

python:
	@test -n "$(PYTHON_BOOT)" || { echo "Python $(PYTHON_VERSION) is needed: none found as python$(PYTHON_VERSION)" \
	  "on PATH nor in $(HOME)/.pyenv/versions/$(PYTHON_VERSION).*; install it (e.g. pyenv install $(PYTHON_VERSION))" >&2; exit 1; }

# Re-installed whenever a requirements file changes; not quiet: it takes a while.
$(LOCAL_STAMP): requirements.txt requirements-local.txt requirements-sms.txt requirements-sms-aliyun.txt requirements-sms-tencent.txt | python
	@echo "installing the local stack's packages (requirements-local.txt) into $(VENV)"
	$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(COMMA),$(PYTHON_VERSION))))' 2>/dev/null \
	  || { rm -rf $(VENV); $(PYTHON_BOOT) -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check --progress-bar off --no-compile -r requirements-local.txt
	touch $(LOCAL_STAMP)

$(DEV_STAMP): $(LOCAL_STAMP) requirements-dev.txt
	@echo "installing the test, infra and bench packages (requirements-dev.txt) into $(VENV)"
	$(PIP) install -r requirements-dev.txt
	touch $(DEV_STAMP)

run: $(LOCAL_STAMP)
	$(PY) -m devstack

# The local stack keeps its state in .local/ (or HEWEI_LOCAL_DIR) between runs; this forgets it
# (refused while a stack runs on it). Standard library only: no virtualenv needed.
reset: | python
	$(PYTHON_BOOT) -m devstack.lock reset $(or $(HEWEI_LOCAL_DIR),.local)

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
	$(PY) bench/sms_digest.py
	$(PY) bench/agreement_document.py
	$(PY) bench/attachments.py
	$(PY) bench/public_lookup.py
	$(PY) bench/hard_cases.py
	$(PY) bench/retention.py
	$(PY) bench/audit.py
	$(PY) bench/dashboard.py
	$(PY) bench/console.py
	$(PY) bench/load.py
	$(PY) bench/intake_cpu.py
	$(PY) bench/attack.py
	$(PY) bench/soak.py

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

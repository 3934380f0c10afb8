# Secure Serverless Kit: every target does its own set-up and is idempotent.
# Prerequisites: Python 3.11+ and npm. Node.js 24 is installed into tools/node24 when the
# system Node.js is older than 22 (jsii is end-of-life and twice as slow on Node 20).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
OUT ?= cdk.out
# Reference-app profile for synth and local mode: default (cheap, no VPC) or regulated (all five packs).
PROFILE ?= default

# Project-local Node (when installed), the pinned CDK CLI and the venv come first on PATH.
export PATH := $(CURDIR)/tools/node24/node_modules/.bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup synth test lint docs bench bench-docs local local-serve verify deploy diff destroy clean \
	workshop-break workshop-reset workshop-check workshop-list workshop-run workshop-hint workshop-solution \
	workshop-doctor diagrams graphviz compat

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: $(STAMPS)/python $(STAMPS)/node $(STAMPS)/jsii ## create .venv, install pinned Python deps, CDK CLI and (if needed) Node 24

$(STAMPS)/python: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json tools/node24/package.json tools/node24/package-lock.json
	@major=$$(command -v node >/dev/null && node -p 'process.versions.node.split(".")[0]' || echo 0); \
	if [ "$$major" -lt 22 ] && [ ! -x tools/node24/node_modules/.bin/node ]; then \
	  echo "System Node.js is $${major:-missing} (< 22): installing a project-local Node 24"; \
	  npm ci --prefix tools/node24 --no-audit --no-fund --loglevel=error; \
	fi
	npm ci --no-audit --no-fund --loglevel=error
	@echo "Node.js for jsii: $$(node --version)"
	@mkdir -p $(STAMPS) && touch $@

# jsii unpacks each CDK library (aws-cdk-lib is about 200 MB) into its package cache
# (~/.cache/aws/jsii) the first time a process loads it: about 7 s and 10 CPU s, paid by whichever
# synths run first, several at once in a parallel test run. Set-up pays it once, with a tiny synth.
$(STAMPS)/jsii: $(STAMPS)/python $(STAMPS)/node
	@echo "Unpacking the CDK libraries into jsii's package cache (once)"
	@out=$$(mktemp -d) && CDK_OUTDIR=$$out $(PY) -c "import aws_cdk as cdk, cdk_nag; app = cdk.App(); \
	  cdk.aws_sqs.Queue(cdk.Stack(app, 'Warm'), 'Queue'); cdk_nag.AwsSolutionsChecks(); app.synth()" && rm -rf $$out
	@mkdir -p $(STAMPS) && touch $@

synth: setup ## synthesize the reference app with cdk-nag and the perimeter check, print a summary (PROFILE=regulated: five packs)
	rm -rf $(OUT)
	cdk synth --quiet --output $(OUT) -c profile=$(PROFILE)
	$(PY) -m secure_serverless_checks.summary $(OUT)
	$(PY) -m secure_serverless_checks.perimeter $(OUT)

# The test run caches bytecode even where the environment sets PYTHONDONTWRITEBYTECODE: the
# run starts about 80 Python processes, and each would compile the kit's sources again. The
# __pycache__ folders are git-ignored, excluded from every Lambda asset and from local mode's
# input hash, and tests/conftest.py keeps them out of lambdas/ (deployment assets).
PYTEST_ARGS ?=
test: setup ## run the whole test suite
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: setup ## every source folder: ruff (lint + format check), no module over 700 lines, mypy (strict)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) tools/module_size.py
	MYPYPATH=constructs:scripts $(PY) -m mypy constructs/secure_serverless constructs/secure_serverless_checks \
	  workshop localmode bench tools/*.py scripts/kit_auth scripts/kit_user.py
	MYPYPATH=constructs:lambdas/common/python $(PY) -m mypy app.py stacks
	@# Every function folder has its own app.py (Lambda's "app.handler"): one mypy run per folder,
	@# the shared layer on MYPYPATH (checked through the imports, and once on its own).
	MYPYPATH=lambdas/common/python $(PY) -m mypy -p kit_common
	for folder in $$(ls -d lambdas/*/ | grep -v '^lambdas/common/$$'); do \
	  MYPYPATH=lambdas/common/python $(PY) -m mypy "$$folder" || exit 1; \
	done

# The wheel beside the oldest aws-cdk-lib the metadata accepts (CI), or COMPAT=newest: the newest
# release on the registry (a scheduled job). Venvs in build/compat/, CDK wheels in a wheelhouse
# outside the checkout; see docs/compatibility.md.
COMPAT ?= minimum
COMPAT_ARGS ?= -n 2 --dist loadfile
compat: setup ## the wheel beside the oldest supported CDK: install, cdk synth a consumer app, construct tests (COMPAT=newest)
	$(PY) tools/compat.py $(COMPAT) $(COMPAT_ARGS)

docs: setup ## build the construct reference from the docstrings (pdoc) into build/reference/
	$(PY) tools/reference_docs.py build/reference
	@echo "Open build/reference/index.html"

bench: setup ## measure synth phases, cost per service, local start-up, perimeter, handlers; table, JSON, plot in build/bench/
	PYTHONDONTWRITEBYTECODE= $(PY) -m bench $(BENCH_ARGS)

bench-docs: setup ## make bench, then write its table and plot into docs/performance.md
	PYTHONDONTWRITEBYTECODE= $(PY) -m bench --docs $(BENCH_ARGS)

local: setup ## run the stack on loopback, no AWS account: deploy, run every scenario, exit (0 = all as expected; PROFILE=regulated)
	$(PY) -m localmode demo --profile $(PROFILE)

local-serve: setup ## keep the local stack serving on 127.0.0.1 (PORT=8080 fixes the port); prints how to get a token
	$(PY) -m localmode serve --profile $(PROFILE) $(if $(PORT),--port $(PORT),)

verify: setup ## run the attack scenarios against the deployed stack (STAGE=dev; your AWS credentials), then clean up
	$(PY) -m localmode.verify --stage $(or $(STAGE),dev) $(if $(REGION),--region $(REGION),)

deploy: setup ## deploy the reference app to the AWS account of your credentials
	cdk deploy --all -c profile=$(PROFILE)

diff: setup ## show what a deploy would change
	cdk diff --all -c profile=$(PROFILE)

destroy: setup ## delete the stacks (tables, buckets, keys and log groups are retained: see README)
	cdk destroy --all -c profile=$(PROFILE)

# `make workshop-break 3` (or N=3): the word after the target is the module number, not a target.
ifneq ($(filter workshop-break workshop-run workshop-hint workshop-solution,$(firstword $(MAKECMDGOALS))),)
  N ?= $(word 2,$(MAKECMDGOALS))
  ifneq ($(word 2,$(MAKECMDGOALS)),)
    $(eval $(word 2,$(MAKECMDGOALS)):;@:)
  endif
endif
WHICH_MODULE = @test -n "$(N)" || { echo "which module? make $@ N (make workshop-list shows them)" >&2; exit 2; }

workshop-list: setup ## the workshop's modules, their breaks and the checks that catch them
	$(PY) -m workshop list

workshop-break: setup ## apply workshop module N's break to this tree; prints the goal and the question: make workshop-break 3
	$(WHICH_MODULE)
	@$(PY) -m workshop break $(N)

workshop-run: setup ## run module N's checks here, the kit's message first: make workshop-run 3
	$(WHICH_MODULE)
	@$(PY) -m workshop run $(N)

workshop-hint: setup ## a hint for module N: make workshop-hint 3
	$(WHICH_MODULE)
	@$(PY) -m workshop hint $(N)

workshop-solution: setup ## module N's answer, its cost in a real account, and the fix: make workshop-solution 3
	$(WHICH_MODULE)
	@$(PY) -m workshop solution $(N)

workshop-reset: setup ## undo the applied workshop break, also after your fix (your edits are saved as a patch)
	@$(PY) -m workshop reset

workshop-doctor: ## is this machine ready for the workshop? Python, npm, Node.js, disk, ports (seconds; before set-up too)
	@$(PYTHON) -m workshop.doctor

workshop-check: setup ## prove in scratch copies that every break is caught, fixed and reset, and that the docs match real runs
	$(PY) -m workshop check

# Graphviz's `dot` renders the diagrams (the tests need only the DOT sources). Installed when missing
# and running as root with apt-get; elsewhere the message says what to install.
graphviz:
	@if command -v dot >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Graphviz's dot is missing: installing Debian's graphviz"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
	  echo "Graphviz's dot is missing and cannot be installed here (needs root and apt-get)." >&2; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz;" >&2; \
	  echo "Windows: choco install graphviz), then run make diagrams again." >&2; exit 1; \
	fi

diagrams: setup graphviz ## regenerate docs/workshop/images (architecture, one per workshop module, perimeters) from a fresh synth
	rm -rf $(OUT)
	cdk synth --quiet --output $(OUT)
	$(PY) -m workshop diagrams $(OUT)

clean: ## remove build output (keeps .venv and node_modules)
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

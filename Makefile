# Two commands do everything on a fresh clone:
#   make synth   install into .venv, then generate build/<env> for every environment of the registry
#   make test    install into .venv, then run the whole test suite
# and one more checks the output the way platform teams do:
#   make scan    install checkov (.venv-scan) and cfn-guard (scan/node_modules), then scan every template
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The registry's environments (services/registry.yaml), read when a target needs them.
ENVS   ?= $(shell $(BIN)/python -m template_gen.registry.environments)
TEST_JOBS ?= auto

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: install synth test test-fast scan bench bench-cdk lint schema docs create-only lock clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

synth: $(STAMP)
	@for env in $(ENVS); do $(BIN)/template-gen synth --env $$env || exit $$?; done

# Test files run in parallel (pytest-xdist), each file's tests in order in one worker: the slow lanes
# (cfn-lint over the generated scale registries, sam build) overlap. TEST_JOBS=0 runs them in this process.
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

# The edit loop: unit tests and goldens (no cfn-lint over large platforms, no SAM CLI).
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/functional/generator/test_goldens.py -q

# Scanners live apart from the project: checkov pins boto3/botocore/pydantic to other versions, and
# cfn-guard ships as a binary inside a pinned npm package (with the Control Tower rules). The Guard Rules
# Registry rules are kept in scan/guard-rules-registry (no package ships them).
SCAN_VENV     := .venv-scan
SCAN_STAMP    := $(SCAN_VENV)/.installed
GUARD_PKG     := scan/node_modules/@cdklabs/cdk-validator-cfnguard
GUARD_STAMP   := scan/node_modules/.installed
GUARD_OS      := $(if $(filter Darwin,$(shell uname -s)),macos,ubuntu)
GUARD_ARCH    := $(if $(filter arm64 aarch64,$(shell uname -m)),aarch64,x86_64)
SCAN_PLATFORM := build/scan-platform-120
SCAN_HARDENED := build/scan-hardened

$(SCAN_STAMP): scan/requirements.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet -r scan/requirements.txt
	@touch $@

$(GUARD_STAMP): scan/package.json scan/package-lock.json
	cd scan && npm ci --ignore-scripts --legacy-peer-deps --no-audit --no-fund
	@touch $@

scan: $(STAMP) $(SCAN_STAMP) $(GUARD_STAMP)
	rm -rf $(SCAN_PLATFORM) && $(BIN)/python benchmarks/generate_registry.py $(SCAN_PLATFORM) 120
	$(BIN)/python scan/hardened.py $(SCAN_HARDENED)
	$(BIN)/python scan/run.py --checkov $(SCAN_VENV)/bin/checkov --cfn-lint $(SCAN_VENV)/bin/cfn-lint \
	  --guard $(GUARD_PKG)/bin/$(GUARD_OS)/$(GUARD_ARCH)/cfn-guard \
	  --rules control-tower=$(GUARD_PKG)/rules/control-tower/cfn-guard \
	  --rules guard-rules-registry=scan/guard-rules-registry/rules \
	  --platform example=. --platform platform-120=$(SCAN_PLATFORM) --platform hardened=$(SCAN_HARDENED)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# template-gen synth beside the AWS CDK (benchmarks/cdk: aws-cdk-lib and the CDK CLI, pinned); needs node/npm.
CDK_STAMP := benchmarks/cdk/node_modules/.installed
$(CDK_STAMP): benchmarks/cdk/package.json benchmarks/cdk/package-lock.json
	cd benchmarks/cdk && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

bench-cdk: $(STAMP) $(CDK_STAMP)
	$(BIN)/python benchmarks/cdk_compare.py

lint: $(STAMP)
	$(BIN)/ruff check template_gen functions tests benchmarks
	$(BIN)/ruff format --check template_gen functions tests benchmarks
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/template-gen schema

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Full pinned dependency tree (pip freeze of '.[dev]'). Regenerate with: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(SCAN_VENV) scan/node_modules benchmarks/cdk/node_modules .aws-sam build/*/ .pytest_cache .mypy_cache .ruff_cache .benchmarks

docs: $(STAMP)
	$(BIN)/python -m template_gen.registry.reference > docs/registry-reference.md

# After upgrading cfn-lint: the create-only property table that `template-gen diff` ships.
create-only: $(STAMP)
	$(BIN)/python -m template_gen.review.create_only_table > template_gen/review/create_only.json.tmp
	mv template_gen/review/create_only.json.tmp template_gen/review/create_only.json

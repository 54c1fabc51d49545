# Two commands do everything on a fresh clone:
#   make synth   install into .venv, then generate build/<env> for every environment of the registry
#   make test    install into .venv, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The registry's environments (services/registry.yaml), read when a target needs them.
ENVS   ?= $(shell $(BIN)/python -m template_gen.registry.environments)
TEST_JOBS ?= auto

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: install synth test test-fast bench lint schema docs create-only lock clean

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

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

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
	rm -rf $(VENV) .aws-sam build/*/ .pytest_cache .mypy_cache .ruff_cache .benchmarks

docs: $(STAMP)
	$(BIN)/python -m template_gen.registry.reference > docs/registry-reference.md

# After upgrading cfn-lint: the create-only property table that `template-gen diff` ships.
create-only: $(STAMP)
	$(BIN)/python -m template_gen.review.create_only_table > template_gen/review/create_only.json.tmp
	mv template_gen/review/create_only.json.tmp template_gen/review/create_only.json

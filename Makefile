# The two set-up commands: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Strict editable installs link each file, so a new module or fixture needs a re-install:
# the stamp is named after the list of package files and changes when that list does.
FILES_HASH := $(shell find . \( -path ./.venv -o -path ./build -o -path ./.git -o -path ./tests -o -path ./.cache -o -path ./fixtures/node-connector/node_modules \) -prune \
	-o \( -name '*.py' -o -name '*.json' -o -name '*.toml' -o -name py.typed -o -name '*.tmpl' \) -print | LC_ALL=C sort | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(FILES_HASH)

.PHONY: demo test lint typecheck bench clean fidelity

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install when the project's metadata changes; editable (strict) so mypy sees the package.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --config-settings editable_mode=strict -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The main job on a fresh home against the embedded fixture CRM, one command per step.
DEMO_HOME := $(CURDIR)/.appconnect/demo
DEMO := APPCONNECT_HOME=$(DEMO_HOME) $(BIN)/python -m appconnect
DEMO_SESSION := 4001000101

demo: $(STAMP)
	rm -rf $(DEMO_HOME)
	@echo "==> 1. log-call: the bundled inbound call, through findContact, composition, createCallLog"
	$(DEMO) log-call inbound-answered --show-body
	@echo "==> 2. log-call again: App Connect warns and creates nothing"
	$(DEMO) log-call inbound-answered
	@echo "==> 3. edit-log: getCallLog, recompose from the CRM body, updateCallLog"
	$(DEMO) edit-log $(DEMO_SESSION) --subject "Renewal call with Dana" --note "Quote sent by email." --show-body
	@echo "==> 4. simulate-recording: the recording link arrives later"
	$(DEMO) simulate-recording $(DEMO_SESSION) --show-body
	@echo "==> 5. check-interfaces: implementedInterfaces, then callLogs reconciled with the CRM"
	$(DEMO) check-interfaces
	@echo "==> 6. logs: the callLogs table"
	$(DEMO) logs

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy -p appconnect.core -p appconnect.connectors -p appconnect.fixtures -p appconnect.cli \
		-m appconnect.pytest_plugin

test: lint typecheck
	$(BIN)/python -m pytest

# Benchmarks print figures; they are never pass/fail tests.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_compose.py
	$(BIN)/python benchmarks/bench_check_interfaces.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

# The composer differential's long mode (tests/fidelity/): thousands of generated cases
# through App Connect's composeCallLog under Node and ours; figures in docs/compatibility.md.
FIDELITY_SEED ?= 14
FIDELITY_CASES ?= 10000
fidelity: $(STAMP)
	$(BIN)/python -m tests.fidelity.differential --seed $(FIDELITY_SEED) --cases $(FIDELITY_CASES)

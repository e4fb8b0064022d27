# The two set-up commands: `make demo` and `make test`. Both build .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Strict editable installs link each file, so a new module or fixture needs a re-install:
# the stamp is named after the list of package files and changes when that list does.
FILES_HASH := $(shell find . \( -path ./.venv -o -path ./build -o -path ./.git -o -path ./tests \) -prune \
	-o \( -name '*.py' -o -name '*.json' -o -name '*.toml' -o -name py.typed \) -print | LC_ALL=C sort | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(FILES_HASH)

.PHONY: demo test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install when the project's metadata changes; editable (strict) so mypy sees the package.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --config-settings editable_mode=strict -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	APPCONNECT_HOME=$${APPCONNECT_HOME:-$(CURDIR)/.appconnect/demo} $(BIN)/python -m appconnect demo --fresh

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy -p appconnect.core -p appconnect.connectors

test: lint typecheck
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Every target builds what it needs from scratch; `make test` is what CI runs (.ci/run).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo serve test test-core test-notebooks test-ha test-browser bench style clean

$(BIN)/wac: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/wac            ## gateway + virtual fleet, prints a summary, exits 0
	$(BIN)/wac demo

serve: $(BIN)/wac
	$(BIN)/wac serve

test: test-core test-notebooks test-ha test-browser   ## everything CI runs

test-core: $(BIN)/wac
	$(BIN)/pytest -q tests --ignore=tests/ha --ignore=tests/browser

test-notebooks: $(BIN)/wac
	@echo "notebooks: not yet"

test-ha:
	@echo "home assistant: not yet"

test-browser:
	@echo "browser: not yet"

bench: $(BIN)/wac
	$(BIN)/python -m bench

style: $(BIN)/wac
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .venv-ha build dist *.egg-info

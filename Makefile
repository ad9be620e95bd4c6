# Every target builds what it needs from scratch; `make test` is what CI runs (.ci/run).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo serve generate types types-ha postgresql test test-core test-pg test-pandas2 test-notebooks test-ha test-ha-e2e test-browser bench style dist clean

$(BIN)/wac: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/wac            ## gateway + virtual fleet, prints a summary, exits 0
	$(BIN)/wac demo

serve: $(BIN)/wac
	$(BIN)/wac serve

test: style types types-ha test-core test-pg test-pandas2 test-notebooks test-ha test-ha-e2e test-browser   ## everything CI runs

# mypy --strict on wac_toolkit, wac_ws_sdk and tests/typecheck (the typed API as users call it);
# settings in pyproject.toml [tool.mypy]. Incremental: a second run takes seconds.
types: $(BIN)/wac
	$(BIN)/mypy

test-core: $(BIN)/wac
	$(BIN)/pytest -q tests --ignore=tests/ha --ignore=tests/ha_e2e --ignore=tests/browser -m "not postgres"

# The PostgreSQL store: contract tests (each also on SQLite), sessions and gateways on a real
# server that a fixture starts from Debian's binaries (installed here when missing).
test-pg: $(BIN)/wac postgresql   ## the store contract and PostgreSQL tests; installs postgresql when missing
	WAC_PG_REQUIRED=1 $(BIN)/pytest -q -p no:cacheprovider tests --ignore=tests/ha --ignore=tests/ha_e2e --ignore=tests/browser -m postgres

# Debian's server binaries, for the fixtures that start PostgreSQL in a temporary directory.
postgresql:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

# Home Assistant pins pandas 2.2, elsewhere pandas 3 installs: the DataFrame code runs on both.
P2_VENV ?= .venv-pandas2
$(P2_VENV)/bin/wac: pyproject.toml
	$(PY) -m venv $(P2_VENV)
	$(P2_VENV)/bin/pip install -q --upgrade pip
	$(P2_VENV)/bin/pip install -q -e '.[dev]' 'pandas==2.2.*'
	touch $@

test-pandas2: $(P2_VENV)/bin/wac   ## the DataFrame, analysis and Jupyter tests on pandas 2.2
	$(P2_VENV)/bin/python -c 'import pandas; assert pandas.__version__.startswith("2.2"), pandas.__version__'
	$(P2_VENV)/bin/pytest -q -p no:cacheprovider tests/test_dataframe.py tests/test_analysis_*.py tests/test_safe_cells.py tests/jupyter tests/test_cli.py

test-notebooks: $(BIN)/wac   ## runs every notebook top to bottom (each starts its own gateway on port 0)
	$(BIN)/pytest -q -p no:cacheprovider --nbmake notebooks/

# Home Assistant 2025.4.4 needs Python 3.13 (pyenv 3.13.0 here) and HA's own constraints file,
# without which pip backtracks for ever; requirements/ha-constraints.txt is the wheel's copy.
HA_PY ?= python3.13
HA_VENV ?= .venv-ha
HA_BIN := $(HA_VENV)/bin

$(HA_BIN)/.installed: pyproject.toml requirements/ha-constraints.txt requirements/ha-test.txt
	@PYENV_VERSION=$${PYENV_VERSION:-3.13.0} $(HA_PY) -c 'import sys; assert sys.version_info >= (3, 13)' \
	  || { echo "test-ha needs Python 3.13 (pyenv install 3.13.0, or make test-ha HA_PY=/path/to/python3.13)"; exit 1; }
	PYENV_VERSION=$${PYENV_VERSION:-3.13.0} $(HA_PY) -m venv $(HA_VENV)
	$(HA_BIN)/pip install -q -c requirements/ha-constraints.txt -r requirements/ha-test.txt -e '.[postgres]'
	touch $@

test-ha: $(HA_BIN)/.installed postgresql   ## custom_components/wac against the real HA test harness
	WAC_PG_REQUIRED=1 $(HA_BIN)/pytest -q -c tests/ha/pytest.ini tests/ha

# A real `hass` process from .venv-ha, driven over REST and the websocket API by a test that
# runs in the toolkit's venv (virtual terminals dial it); about a minute.
test-ha-e2e: $(HA_BIN)/.installed $(BIN)/wac   ## a real Home Assistant, end to end
	WAC_HA_PYTHON=$(abspath $(HA_BIN))/python $(BIN)/pytest -q -s -p no:cacheprovider tests/ha_e2e

# custom_components/wac under mypy --strict with Home Assistant's own typing (HA venv); part of
# `make test`. wac_toolkit is checked by `make types` in its own venv, so here its modules are
# followed silently.
types-ha: $(HA_BIN)/.installed
	$(HA_BIN)/pip install -q mypy
	$(HA_BIN)/mypy --strict --python-version 3.13 --follow-imports silent custom_components/wac

test-browser: $(BIN)/wac   ## JupyterLab in headless Debian chromium; installs what is missing
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	@command -v npm >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm)
	$(BIN)/pip install -q -e '.[dev,browser]'
	cd tests/browser && npm ci --no-audit --no-fund
	WAC_BROWSER_REQUIRED=1 $(BIN)/pytest -q -p no:cacheprovider tests/browser

generate: $(BIN)/wac   ## rewrite wac_toolkit/_generated/ (typed command methods) from the catalogue
	$(BIN)/python -m wac_toolkit.codegen

bench: $(BIN)/wac
	$(BIN)/python -m bench

dist: $(BIN)/wac   ## wheel + sdist in dist/, checked with twine (RELEASING.md)
	rm -rf dist build
	$(BIN)/pip install -q build twine
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

style: $(BIN)/wac
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .venv-ha $(P2_VENV) build dist *.egg-info

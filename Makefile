# Two commands for a new machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fuzz server-demo screenshots bench package clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/coachhub demo

test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# schemathesis --checks all against a live server, as admin and as team leader, on both databases.
fuzz: $(STAMP)
	$(BIN)/python -m tests.contract.fuzz --backend sqlite --max-examples 200
	$(BIN)/python -m tests.contract.fuzz --backend postgres --max-examples 200

lint: $(STAMP)
	$(BIN)/ruff check shared server desktop tests bench
	$(BIN)/mypy

server-demo: $(STAMP)
	$(BIN)/coachhub-server demo

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/coachhub demo --screenshot docs/screenshots

bench: $(STAMP)
	$(BIN)/python -m bench

# The desktop app as one folder, demo server included: $(PACKAGE_DIST)/coachhub/coachhub.
PACKAGE_DIST ?= dist
PACKAGE_WORK ?= build/pyinstaller
package: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath $(PACKAGE_DIST) --workpath $(PACKAGE_WORK) \
		packaging/coachhub-desktop.spec
	cp packaging/linux/coachhub.desktop packaging/linux/coachhub.png $(PACKAGE_DIST)/coachhub/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

# The two commands a newcomer needs: `make book` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# npm packages of package-lock.json (axe-core for the browser tests; the tippy.js and Popper
# files that the book serves are vendored in tools/sphinxext/static/vendor). Installed under
# _build/ so that neither Sphinx nor the tests' copies of the project walk through node_modules.
NPM_DIR := _build/npm
NPM_INSTALLED := $(NPM_DIR)/.installed

.PHONY: book pdf test clean lock lab

book: $(INSTALLED)  ## Build the HTML book into _build/html
	$(PY) -m tools.build html

pdf: $(INSTALLED)  ## Build the PDF through XeLaTeX into _build/latex
	$(PY) -m tools.build latex
	cd _build/latex && latexmk -xelatex -interaction=nonstopmode -halt-on-error thesis.tex

test: $(INSTALLED) $(NPM_INSTALLED)  ## Run the whole test suite (browser tests in Debian's Chromium)
	tools/debian-packages.sh browser
	$(PY) -m pytest

lab: $(INSTALLED)  ## Open the notebooks in JupyterLab
	PYTHONPATH=$(CURDIR) $(VENV)/bin/jupyter lab

clean:  ## Remove every build output (the virtual environment stays)
	rm -rf _build

# The virtual environment follows the lock file: editing requirements.lock reinstalls it.
$(INSTALLED): requirements.lock pyproject.toml
	tools/debian-packages.sh base
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(NPM_INSTALLED): package.json package-lock.json
	tools/debian-packages.sh node
	mkdir -p $(NPM_DIR)
	cp package.json package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

lock:  ## Re-pin every dependency after editing requirements.in
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile requirements.in -o requirements.lock --python-version 3.11

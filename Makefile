# The two commands a newcomer needs: `make book` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# npm packages of package-lock.json (axe-core for the browser tests; the tippy.js and Popper
# files that the book serves are vendored in book_extensions/static/vendor). Installed under
# _build/ so that neither Sphinx nor the tests' copies of the project walk through node_modules.
NPM_DIR := _build/npm
NPM_INSTALLED := $(NPM_DIR)/.installed


# A test worker per core (a third worker on 2 cores was no faster: 766 s against 764 s).
TEST_WORKERS ?= $(shell nproc)

.PHONY: book pdf epub preview test check check-refs format-refs clean lock lab bench verify diff-results dist

book: $(INSTALLED)  ## Build the HTML book into _build/html
	$(PY) -m tools.build html

preview: $(INSTALLED)  ## Serve the book on localhost; every save rebuilds it and reloads the page
	$(PY) -m tools.preview

pdf: $(INSTALLED)  ## Build the PDF through XeLaTeX into _build/latex/thesis.pdf
	tools/debian-packages.sh pdf
	$(PY) -m tools.build pdf

epub: $(INSTALLED)  ## Build the EPUB into _build/epub/thesis.epub and check it with epubcheck
	tools/debian-packages.sh epub
	$(PY) -m tools.build epub

# `make verify MANIFEST=file` compares with a given manifest (e.g. a published edition's);
# `FRESH=1` executes in a new virtual environment made from requirements.lock.
verify: $(INSTALLED)  ## Execute every notebook afresh and compare every result with the last build's manifest
	$(PY) -m tools.results verify $(if $(MANIFEST),--manifest "$(MANIFEST)") $(if $(FRESH),--fresh-venv)

diff-results: $(INSTALLED)  ## The numbers, figures and tables that differ between revisions A and B (make diff-results A=rev B=rev)
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make diff-results A=<revision> B=<revision>" >&2; exit 2; }
	$(PY) -m tools.results diff "$(A)" "$(B)"

dist: $(INSTALLED)  ## The release bundle: PDF, EPUB, web book, data, executed notebooks, manifest, source (_build/dist/)
	tools/debian-packages.sh pdf epub
	$(PY) -m tools.dist

test: $(INSTALLED) $(NPM_INSTALLED) check-refs  ## Run the whole test suite (PDF, EPUB, browser tests)
	tools/debian-packages.sh pdf epub browser
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

check: $(INSTALLED)  ## Quick checks without building the book (about a minute): lint, data, references, unit tests
	$(VENV)/bin/ruff check kzthesis book_extensions tools tests
	$(PY) -m kzthesis.data
	$(PY) -m tools.refs check
	$(PY) -m pytest -m "not book" -q -n $(TEST_WORKERS)

bench: $(INSTALLED)  ## Measure the edit–rebuild loop (writes benchmarks/latest.md)
	$(PY) -m tools.bench

check-refs: $(INSTALLED)  ## Check references.bib and the citations (every problem as FILE:LINE: KEY: ...)
	$(PY) -m tools.refs check

format-refs: $(INSTALLED)  ## Rewrite references.bib in its standard format (the check above requires it)
	$(PY) -m tools.refs format

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

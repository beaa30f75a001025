# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench docs install browser clean

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(INSTALLED)

# A Chromium for browser-rendered sites: Playwright's own, else the system's, else apt-get (as root).
browser: install
	@$(BIN)/python -m crawler.browser --ensure

demo: browser
	$(BIN)/lagesbild demo

# Pyflakes rules first (unused or shadowed names hide tests that never run).
# pytest exits 5 when it collected no test: that is a broken suite, not a pass.
test: browser
	$(BIN)/ruff check --select F --quiet .
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: browser
	$(BIN)/python -m bench

# The documentation site (MkDocs Material) in build/site; strict: a broken link or include fails it.
docs: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[docs]'
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --quiet

clean:
	rm -rf $(VENV) var .pytest_cache

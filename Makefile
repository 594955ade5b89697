PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test test-slow lint format bench notebooks clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/blockade

# pytest exits 5 when it collects nothing; make propagates any non-zero status, so CI fails then.
test: $(STAMP_DEV)
	$(BIN)/python -m pytest -n 2 -q

# The statistical tests at full size (the suite runs them smaller): ~10 minutes on 2 cores.
test-slow: $(STAMP_DEV)
	$(BIN)/python -m pytest -q -m slow

# ruff (style, imports, bugbear), mypy (config in pyproject.toml), and no function over 60
# lines or cyclomatic complexity 15 outside plotting code (tools/complexity.py, radon).
lint: $(STAMP_DEV)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m tools.complexity

format: $(STAMP_DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP_DEV)
	@$(BIN)/python -m benchmarks

notebooks: $(STAMP_DEV)
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

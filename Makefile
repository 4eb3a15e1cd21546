# Two commands: `make run` and `make test`. Both create .venv and install pinned dependencies.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache
# Computed caches (the demo model) stay in the checkout; an installed package uses ~/.cache/embedviz.
export EMBEDVIZ_CACHE_DIR ?= $(CURDIR)/.cache

.PHONY: run test test-fast lint bench demo-data warm clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# The Spark engine (`train --engine spark`) and its tests; the app and `make run` never need it.
$(VENV)/.installed-spark: $(VENV)/.installed requirements-spark.txt
	$(PY) -m pip install -q -r requirements-spark.txt
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed requirements-bench.txt
	$(PY) -m pip install -q -r requirements-bench.txt
	touch $@

# Compile the numba kernels (ours and umap-learn's) and train the demo model once, so the
# first page view is fast. Redone when the code or the demo data change.
$(VENV)/.warmed: $(VENV)/.installed $(wildcard embedviz/*.py embedviz/*/*.py data/*)
	$(PY) -m embedviz.warmup
	touch $@

warm: $(VENV)/.warmed

run: $(VENV)/.installed $(VENV)/.warmed
	@echo "embedviz: open http://localhost:$(PORT) in your browser (Ctrl+C stops the server)"
	$(PY) -m embedviz.dashboard.serve --server.port=$(PORT)

# Everything: unit, AppTest, slow and Spark tests on both cores, then the browser tests one at a time
# (a browser and its server per test; two at once would make their timings meaningless on 2 cores).
test: $(VENV)/.installed-dev $(VENV)/.installed-spark $(VENV)/.warmed
	$(PY) -m pytest -n 2 -m "not e2e" --ignore=tests/e2e
	$(PY) -m pytest tests/e2e

# Unit tests and AppTests only (no browser, no slow tests): the loop while editing, < 2 minutes.
test-fast: $(VENV)/.installed-dev $(VENV)/.warmed
	$(PY) -m pytest -q -n 2 -m "not slow and not e2e" --ignore=tests/e2e

# Style and types: ruff on everything, mypy on the package (config in pyproject.toml).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.installed-bench $(VENV)/.installed-dev $(VENV)/.warmed
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_neighbours.py
	$(PY) benchmarks/bench_projection.py
	$(PY) benchmarks/bench_first_paint.py

demo-data: $(VENV)/.installed
	$(PY) scripts/make_demo_data.py

clean:
	rm -rf $(VENV) .numba_cache .pytest_cache

# The suite's commands. First use creates .venv and installs the project into it (editable);
# editing pyproject.toml reinstalls. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := figures
.PHONY: figures test check check-older-cpu report maps bench lint clean env lock teach teach-html teach-screenshots readme-maps

# Every package, transitive ones included, is pinned with its hashes in requirements.lock
# (`make lock` refreshes it). uv, itself pinned, is bootstrapped inside .venv, so a fresh
# machine needs only Python >= 3.11.
UV_VERSION := 0.13.9
LOCK_FLAGS := --extra test --extra teach --extra cluster --universal --fork-strategy fewest --python-version 3.11 \
	--generate-hashes

# --compile-bytecode: the packages' .pyc are written once here; where PYTHONDONTWRITEBYTECODE
# is set (as on these machines) every process would otherwise compile jax, scipy and pandas
# from source (~4 s per process: a third of a cached `make figures`).
$(STAMP): pyproject.toml requirements.lock Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

## lock: re-resolve requirements.lock from pyproject.toml (newest versions allowed by it)
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip compile --quiet --upgrade $(LOCK_FLAGS) pyproject.toml -o requirements.lock

## env: only build the virtual environment
env: $(STAMP)

## figures: every figure (figures/out/), the agreement report and the validity maps' summary (results/) -- the main job
figures: $(STAMP)
	$(BIN)/python figures/make_all.py
	$(BIN)/python -m sims.report
	$(BIN)/python -m sims.cli maps

## maps: every validity map (results/maps/*.csv, results/validity.md); stored points are reused
maps: $(STAMP)
	$(BIN)/python -m sims.cli maps

## report: results/agreement.csv and results/agreement.md
report: $(STAMP)
	$(BIN)/python -m sims.report

## test: the fast tier (theory, properties, agreement at small sizes); minutes on 2 cores
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

## check: the slow tier -- every claim at thorough settings, hypothesis 'thorough' profile
# One BLAS thread in the slow tier: the fuzz's large random targets (dimensions ~1000-2300) ran
# 20-200x slower with OpenBLAS's 2 threads on a loaded 2-core machine, past their time limit.
check: $(STAMP) check-older-cpu
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -q --hypothesis-profile=thorough
	$(BIN)/python -m sims.report --thorough

## check-older-cpu: the fast tier and the agreement report as an x86-64 without AVX rounds them
# (CI's CPU may differ from yours): XLA held to SSE4.2, OpenBLAS to Nehalem, NumPy to its
# baseline, a separate simulation cache (tests/as_older_cpu.py). A result that passes only by
# the sign of a round-off fails here.
check-older-cpu: $(STAMP)
	$(BIN)/python tests/as_older_cpu.py pytest -m "not slow" -q
	$(BIN)/python tests/as_older_cpu.py sims.report --out results/older_cpu

## bench: engine, IB4-training and figure timings (cold, warm compile cache, cached) into results/bench.csv and .md
bench: $(STAMP)
	$(BIN)/python -m sims.bench

## teach: the teaching notebooks as live apps, from an index page (marimo, notebooks/)
teach: $(STAMP)
	$(BIN)/marimo run notebooks --host 127.0.0.1

## teach-html: static HTML of every notebook into figures/out/teach/, readable offline
teach-html: $(STAMP)
	$(BIN)/python notebooks/export_html.py figures/out/teach

## teach-screenshots: the README's notebook screenshots, in headless Chromium (apt-get install chromium)
teach-screenshots: $(STAMP)
	$(BIN)/python notebooks/browser.py notebooks/screenshots

## readme-maps: the README's two validity-map images (figures/readme/), copied from a `make figures`
readme-maps: figures
	cp figures/out/fig_map_deep_linear_m1.png figures/out/fig_map_neural_collapse_m1.png figures/readme/

## lint: ruff's checks and its formatting (`ruff format theory sims figures tests notebooks` fixes the latter)
lint: $(STAMP)
	$(BIN)/ruff check theory sims figures tests notebooks
	$(BIN)/ruff format --check theory sims figures tests notebooks

clean:
	rm -rf .cache figures/out results .pytest_cache .hypothesis .ruff_cache notebooks/__marimo__

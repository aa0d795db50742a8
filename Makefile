# The two commands of the README:
#   make demo   set up .venv and tune SpatialGrid to a 0.5 success rate on the embedded default
#   make test   set up .venv and run the linter and the whole test suite (CI runs this)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# torch is pinned and installed first: stable-baselines3 would otherwise pull a CUDA build.
# The ray extra is installed so that the tests of the Ray backend run.
$(VENV)/.installed: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,ray]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/betal tune BeTaL/SpatialGrid-v0 --target 0.5 --out runs/demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# --dist loadgroup keeps the tests marked xdist_group("ray") on one worker, with one Ray instance.
test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q
	$(BIN)/python -O -m pytest -n 2 --dist loadgroup -q -m "not slow" -p no:cacheprovider

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis

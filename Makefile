# make          regenerate every kernel and the derivation documents, print the derivations
# make test     run the tests
# make check    fail when generated/ differs from what derive/ produces (CI)
# make bench    time and memory of the generated kernels, as ratios within one run
# Every target creates or refreshes the virtual environment in .venv itself.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all generate derivations latex test check bench clean

all: generate derivations latex

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

generate: $(STAMP)
	$(PY) -m derive generate

derivations: $(STAMP)
	$(PY) -m derive docs

latex: $(STAMP)
	$(PY) -m derive latex

test: $(STAMP)
	$(PY) -m pytest

check: $(STAMP)
	$(PY) -m derive check

bench: $(STAMP)
	$(PY) tests/bench_kernels.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

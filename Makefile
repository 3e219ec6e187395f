# make          regenerate every kernel and the derivation documents, print the derivations
# make test     run the tests
# make check    fail when generated/ differs from what derive/ produces (CI)
# make bench    training steps against a hand-written NumPy step, PyTorch and JAX; kernels;
#               memory (runs/bench/: JSON and a chart); installs the `bench` extra first
# make train    train LeNet-5 on MNIST (runs/lenet5: checkpoints, curve, summary)
# make evaluate test error, confusion matrix and misclassified digits of the last run
# Every target creates or refreshes the virtual environment in .venv itself.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: all generate derivations latex test check bench train train-1998 evaluate clean

all: $(STAMP)
	$(PY) -m derive all

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/pip || $(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,train]'
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

# make train [TRAIN_ARGS="--epochs 5 --resume runs/lenet5/checkpoint.npz"]
train: $(STAMP)
	$(PY) -m derive train $(TRAIN_ARGS)

# make train-1998 [TRAIN_ARGS="--mu 1.0"]: the 1998 network, second-order (runs/lenet5_1998)
train-1998: $(STAMP)
	$(PY) -m derive train-1998 $(TRAIN_ARGS)

evaluate: $(STAMP)
	$(PY) -m derive evaluate $(EVAL_ARGS)

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,train,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) tests/bench_network.py
	$(PY) tests/bench_kernels.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

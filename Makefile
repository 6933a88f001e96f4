# idphoto — two commands for a fresh machine: `make demo` and `make test`. `make setup` is their shared first step.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export IDPHOTO_MODEL_DIR ?= $(CURDIR)/.models
STAMP := $(VENV)/.setup-stamp
DEPS_HASH := $(shell cat pyproject.toml | sha256sum | cut -c1-16)

.PHONY: setup deps models demo test bench lint clean

setup: deps models

deps: $(STAMP)-$(DEPS_HASH)

$(STAMP)-$(DEPS_HASH): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(STAMP)-*; touch $@

models: deps
	$(VENV)/bin/idphoto models pull

demo: setup
	$(PY) -m scripts.make_sample out/sample_portrait.jpg
	$(VENV)/bin/idphoto make out/sample_portrait.jpg --spec us-passport -o out/us-passport.jpg \
	  --sheet 4r --sheet-output out/us-passport-4r.jpg --report out/us-passport-report.json
	@echo "wrote out/us-passport.jpg, out/us-passport-4r.jpg, out/us-passport-report.json"

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m scripts.bench

lint: deps
	$(VENV)/bin/ruff check idphoto services tests scripts

clean:
	rm -rf out build dist *.egg-info tests/_output

# idphoto — two commands for a fresh machine: `make demo` and `make test`. `make setup` is their shared first step.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

STAMP := $(VENV)/.setup-stamp
DEPS_HASH := $(shell cat pyproject.toml | sha256sum | cut -c1-16)

.PHONY: setup deps models demo test bench lint contracts clean proto buf breaking kubectl

# Generated protobuf/gRPC code (git-ignored idphoto/_gen/); rebuilt when a .proto, the generator or the deps change.
PROTO_SRCS := $(shell find protos -name '*.proto' 2>/dev/null)
PROTO_STAMP := idphoto/_gen/.proto-stamp
# buf (contract lint) from npm into the git-ignored .cache/tools.
TOOLS := .cache/tools
BUF_VERSION := 1.75.0
BUF := $(TOOLS)/node_modules/.bin/buf
BUF_STAMP := $(TOOLS)/.buf-$(BUF_VERSION)

setup: deps proto buf kubectl chromium models

# kubectl (it carries kustomize) renders deploy/k8s in tests/deploy: Debian's package when it is missing.
kubectl:
	@command -v kubectl >/dev/null || { \
	  echo "kubectl not found: installing Debian's kubectl package"; \
	  apt-get update -qq >/dev/null || true; \
	  if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [^(]'; then apt-get install -y -qq kubectl; \
	  else echo "apt has no kubectl candidate: install kubectl >= 1.27 (kustomize v5) yourself; tests/deploy needs it" >&2; \
	    exit 1; fi; }
	@kubectl version --client >/dev/null

# Debian's chromium for the web page's browser test (tests/web, driven by Playwright): installed when missing. When
# apt cannot install it (not root, no sudo), setup goes on and the browser tests skip, saying why.
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "chromium not found: installing Debian's chromium package"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	  { $$sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium \
	    >/dev/null; } || echo "chromium could not be installed with apt-get: tests/web will be skipped" >&2; }

deps: $(STAMP)-$(DEPS_HASH)

$(STAMP)-$(DEPS_HASH): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(STAMP)-*; touch $@

proto: $(PROTO_STAMP)

$(PROTO_STAMP): $(PROTO_SRCS) scripts/gen_protos.py $(STAMP)-$(DEPS_HASH)
	$(PY) -m scripts.gen_protos --force

buf: $(BUF_STAMP)

$(BUF_STAMP):
	@command -v npm >/dev/null || { echo "npm is needed to install buf (npm package @bufbuild/buf)" >&2; exit 1; }
	npm install --prefix $(TOOLS) --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
	  @bufbuild/buf@$(BUF_VERSION)
	@$(BUF) --version >/dev/null
	@rm -f $(TOOLS)/.buf-*; touch $@

models: deps
	$(VENV)/bin/idphoto models pull

demo: setup
	$(PY) -m edges.sample out/sample_portrait.jpg
	$(VENV)/bin/idphoto make out/sample_portrait.jpg --spec us-passport -o out/us-passport.jpg \
	  --sheet 4r --sheet-output out/us-passport-4r.jpg --report out/us-passport-report.json
	@echo "wrote out/us-passport.jpg, out/us-passport-4r.jpg, out/us-passport-report.json"

test: setup contracts
	$(PY) -m pytest -q

# The architecture contracts in pyproject.toml ([tool.importlinter]): layers, independence, forbidden imports.
contracts: deps
	$(VENV)/bin/lint-imports --no-cache

bench: setup
	$(PY) -m edges.bench.pipeline
	$(PY) -m edges.bench.mesh

# Both linters always run; the target fails if either reports findings.
lint: proto buf
	@status=0; \
	echo "buf lint"; $(BUF) lint || status=1; \
	echo "ruff check"; $(VENV)/bin/ruff check idphoto services edges tests scripts || status=1; \
	echo "import contracts"; $(VENV)/bin/lint-imports --no-cache || status=1; \
	exit $$status

clean:
	rm -rf out build dist *.egg-info tests/_output

# Wire compatibility of the contracts against a release (AGAINST=<git ref>, default: the newest tag).
breaking: proto buf
	scripts/buf_breaking.sh $(AGAINST)

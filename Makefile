# Pagerless: `make dev` runs it locally, `make test` runs the whole suite.
# Both install into .venv on first use (Python 3.11+ and pip are all they need).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
TOOLS := .tools
PORT ?= 8080
AWS_PORT ?= 4566
STATE_DIR ?= .pagerless
# Test processes for `make test` (pytest-xdist; 0 runs it in this process). A test spends much of its
# time waiting on workflow threads and real processes, so 4 keep 2 cores busy.
TEST_WORKERS ?= 4
export SAM_CLI_TELEMETRY := 0

.PHONY: install dev test test-unit test-functional test-e2e test-browser bench soak validate lint lint-imports build deploy clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(INSTALLED)

dev: $(INSTALLED)  ## run Pagerless locally on an embedded AWS (no Docker, no account)
	$(VENV)/bin/pagerless dev --port $(PORT) --aws-port $(AWS_PORT) --state-dir $(STATE_DIR) $(ARGS)

test: $(INSTALLED)  ## the whole suite: unit, functional (embedded AWS in-process), e2e (real processes)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-unit: $(INSTALLED)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-functional: $(INSTALLED)
	$(PY) -m pytest tests/functional $(PYTEST_ARGS)

test-e2e: $(INSTALLED)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

test-browser: $(INSTALLED)  ## the console in headless Chromium (needs apt: chromium chromium-driver fonts-wqy-microhei)
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

bench: $(INSTALLED) build  ## print cold-start (of the built layer), intake and diagnosis figures
	$(PY) bench/run_all.py

soak: $(INSTALLED)  ## 30 minutes of mixed load on `pagerless dev`, RSS over time
	$(PY) bench/soak.py --minutes 30

# ---------------------------------------------------------------- deployment tooling
$(TOOLS)/sam/bin/sam:
	$(PYTHON) -m venv $(TOOLS)/sam
	$(TOOLS)/sam/bin/pip install --quiet aws-sam-cli

$(TOOLS)/node/node_modules/.bin/asl-validator:
	mkdir -p $(TOOLS)/node
	cd $(TOOLS)/node && npm install --silent --no-audit --no-fund asl-validator

validate: $(TOOLS)/sam/bin/sam $(TOOLS)/node/node_modules/.bin/asl-validator  ## sam validate --lint + ASL validation
	$(TOOLS)/sam/bin/sam validate --lint --template template.yaml --region us-east-1
	for f in infra/statemachines/*.asl.json; do \
		$(TOOLS)/node/node_modules/.bin/asl-validator --json-path "$$f" || exit 1; done

lint: $(INSTALLED)  ## ruff: lint and format check (pyproject.toml [tool.ruff]); `ruff format .` fixes the format
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint-imports: $(INSTALLED)  ## the package layers of pyproject.toml (docs/architecture.md): no upward import, no cycle
	$(VENV)/bin/lint-imports --config pyproject.toml --no-cache

build: $(TOOLS)/sam/bin/sam  ## sam build (offline)
	$(TOOLS)/sam/bin/sam build --template template.yaml

deploy: build  ## sam deploy --guided (needs AWS credentials)
	$(TOOLS)/sam/bin/sam deploy --guided

clean:
	rm -rf $(VENV) $(TOOLS) .aws-sam .pytest_cache

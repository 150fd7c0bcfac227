# refnet: `make up` starts the whole network with demo data; `make test` runs every test.
PYTHON ?= python3.11
REPLICAS ?= 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up down status test test-unit test-deploy test-integration test-e2e test-browser test-faults \
        test-security bench install clean lock-image system-deps translations

# What each target needs from the machine that is not a Python package (deploy/system-deps.sh):
# as root on Debian it is installed first; otherwise the target stops at once, naming each
# missing tool and the command that installs it, or the broker or database that does not answer.
NEEDS := $(addprefix needs-,up test test-unit test-deploy test-integration test-e2e test-browser \
         test-faults test-security bench)
.PHONY: $(NEEDS)
$(NEEDS): needs-%:
	@PYTHON='$(PYTHON)' sh deploy/system-deps.sh $*

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==24.3.1
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench,deploy-check,reports]'
	@touch $(STAMP)

install: $(STAMP)

# `make up REPLICAS=2`: two processes of each service on the same broker and databases.
up: needs-up $(STAMP)
	@REFNET_REPLICAS=$(REPLICAS) $(BIN)/refnet up

down:
	@test -x $(BIN)/refnet && $(BIN)/refnet down || echo "refnet is not installed; nothing to stop"

status:
	@$(BIN)/refnet status

# Each layer in its own pytest process: unit tests never import eventlet; integration tests
# monkey-patch it (tests/integration/conftest.py); end-to-end tests drive real processes.
test: needs-test test-unit test-deploy test-integration test-e2e test-browser test-faults

# On UNIT_WORKERS pytest-xdist workers (0: one process).
UNIT_WORKERS ?= 2
test-unit: needs-test-unit $(STAMP)
	$(BIN)/pytest -q -p no:pytest_nameko $(if $(filter-out 0,$(UNIT_WORKERS)),-n $(UNIT_WORKERS)) tests/unit

# Offline checks of deploy/ (Dockerfile, compose, Kubernetes manifests, operator resources
# against docs/standards/crds). Needs the "deploy-check" extras and Debian's docker-compose.
test-deploy: needs-test-deploy $(STAMP)
	$(BIN)/pytest -q -p no:pytest_nameko tests/deploy

# As INTEGRATION_PARTS pytest processes at once, each over a share of the files (tests/parts.py:
# the layer's eventlet monkey patch hangs in a pytest-xdist worker); 1: one process.
INTEGRATION_PARTS ?= 2
test-integration: needs-test-integration $(STAMP)
	$(BIN)/python -m tests.parts --parts $(INTEGRATION_PARTS) tests/integration -- \
		-q --suppress-nameko-eventlet-notification

# `make test-e2e REPLICAS=2` runs the same tests with two processes of each service.
# On E2E_WORKERS pytest-xdist workers (E2E_WORKERS=0: one process, as before): each network has
# its own vhost, users, databases and ports; a module's tests (and the session network's) stay
# on one worker, the slowest modules start first, and the tests that make broker-wide names run
# one after the other (tests/e2e/conftest.py, docs/decisions/0041-end-to-end-layer-in-parallel.md).
E2E_WORKERS ?= 3
test-e2e: needs-test-e2e $(STAMP)
	REFNET_TEST_REPLICAS=$(REPLICAS) $(BIN)/pytest -q -p no:pytest_nameko \
		$(if $(filter-out 0,$(E2E_WORKERS)),-n $(E2E_WORKERS) --dist loadgroup --no-loadscope-reorder) \
		tests/e2e

# The web pages in headless Chromium (Debian's chromium, driven by Playwright; no browser is
# downloaded) on the real network, in English and Arabic: every page of every role checked with
# axe-core (WCAG 2.2 AA), each role's main actions and every form's bad input, the police form
# offline, keyboard-only journeys. Screenshots of every page go to
# var/screenshots/<lang>/<role>-<page>.png. On BROWSER_WORKERS pytest-xdist workers (0: one
# process), a test file per worker at a time, each worker with its own network.
BROWSER_WORKERS ?= 2
test-browser: needs-test-browser $(STAMP)
	$(BIN)/pytest -q -p no:pytest_nameko \
		$(if $(filter-out 0,$(BROWSER_WORKERS)),-n $(BROWSER_WORKERS) --dist loadfile) tests/browser

# The web pages' message catalogues (gateway/translations, en ar ckb): extract every string of
# gateway/web and gateway/templates, merge into each .po, compile the .mo files. Both are
# committed; tests/unit/test_translations.py fails when a string is missing, untranslated, or
# a .mo is older than its .po.
translations: $(STAMP)
	$(BIN)/pybabel extract -F gateway/babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o gateway/translations/messages.pot .
	$(BIN)/pybabel update -i gateway/translations/messages.pot -d gateway/translations \
		--no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile -d gateway/translations --statistics

# The privacy and security acceptance tests alone; they are part of test-e2e, so
# `make test` runs them: endpoint x role x agency table, consent, audit verify, tokens, key
# rotation, retention, the planted name in no file/dump/message/log, schemathesis.
test-security: needs-test-security $(STAMP)
	$(BIN)/pytest -q -p no:pytest_nameko tests/e2e/test_privacy.py tests/e2e/test_schemathesis.py

# Fault tests restart the RabbitMQ application (rabbitmqctl, on this machine) and kill services.
test-faults: needs-test-faults $(STAMP)
	REFNET_TEST_REPLICAS=$(REPLICAS) $(BIN)/pytest -q -p no:pytest_nameko tests/faults

# deploy/requirements.lock (the image's hashed requirements) after a pin changed; needs PyPI.
lock-image: $(STAMP)
	$(BIN)/python deploy/lock_image.py

# Every Debian package `make up` and `make test` use, servers included (as root; .ci/run does
# this): python3.11-venv, docker-compose for `make test-deploy`, rabbitmq-server (rabbitmqctl)
# and postgresql, poppler-utils and postgresql-client for `make test-e2e`, chromium for
# `make test-browser`. Without root it names what is missing and how to install it.
system-deps:
	@PYTHON='$(PYTHON)' sh deploy/system-deps.sh system

# The benchmark (bench/README.md): its own vhost and databases, never a running `make up`.
# wrk is the load generator when it is there; as root on Debian it is installed, else the
# benchmark says so and falls back to its Python client.
bench: needs-bench $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null 2>&1 \
		&& apt-get install -y -qq wrk >/dev/null 2>&1; } || echo "bench: wrk not installed; using the Python client"
	$(BIN)/python -m bench $(BENCH_ARGS)

clean: down
	rm -rf var

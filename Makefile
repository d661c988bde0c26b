# Two commands on a fresh machine: `make run` and `make test`. Everything else is a building block.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
CATALOGS := $(wildcard examserver/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)


.PHONY: run site-demo test install install-dev translations extract-messages update-messages migrate demo lint typecheck docs bench load faults clean

# Packages go in with uv (the pinned versions of pyproject.toml; 3 s where pip takes 30 s on a fresh
# machine, a sixth of `make test` there); the system's pip does it where uv cannot reach an index.
# uv first tries its cache alone (--offline: 1 s, where asking the index about every package keeps
# it waiting 6 s), and asks the index when something is not in the cache.
# The environment is made without a pip of its own (3 s less): the system's pip puts uv in it.
# The packages are then compiled to bytecode, on every core, but for what no process here imports
# (test suites, the type checker, pip; a file that does not compile is left to the import):
# otherwise every process of the first `make test` compiled what it imported, the four test workers
# at once (10 s of CPU each: about 15 s of the suite's time on 2 cores). uv's own --compile-bytecode
# compiles everything: 16 s of CPU, 7 more than this.
PIP := $(PYTHON) -m pip --python $(BIN)/python
NOT_COMPILED := /(tests?|testing|mypy|mypyc|pygments|pip|setuptools|fontTools)/
INSTALL = ($(BIN)/uv pip install --quiet --offline --python $(BIN)/python -e '$(1)' 2>/dev/null \
	|| $(BIN)/uv pip install --quiet --python $(BIN)/python -e '$(1)' \
	|| $(PIP) install --quiet -e '$(1)') \
	&& ($(BIN)/python -m compileall -q -j 0 -x '$(NOT_COMPILED)' \
		"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" > /dev/null || true)
# (call splits its arguments at commas: the extras go through variables)
DEV := .[dev]
DEV_BENCH := .[dev,bench]

$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PIP) install --quiet uv==0.13.9

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(call INSTALL,.)
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(call INSTALL,$(DEV))
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)

%.mo: %.po | $(STAMP_RUN)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

translations: $(COMPILED)

extract-messages: $(STAMP_RUN)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o examserver/translations/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update -i examserver/translations/messages.pot -d examserver/translations --no-fuzzy-matching

migrate: install translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-empty

run: demo
	BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# A test-site server beside the demo centre (docs/operations/test-sites.md): the centre (the demo
# database) exports DEMO-SKD for site SMKN2-BINJAI, three seats; the site gets its own database and
# instance folder under instance/lokasi-demo, imports the package (sealed) and serves on port 8001.
# Its PINs and the site key's code are in instance/lokasi-demo/pin.csv; the release code shows on
# the centre's monitoring page (`make run`, panitia@demo.id, Lokasi ujian).
SITE_DEMO := instance/lokasi-demo
SITE_PORT ?= 8001
SITE_ENV = EXAMSERVER_ROLE=site EXAMSERVER_SITE_CODE=SMKN2-BINJAI EXAMSERVER_INSTANCE=$(SITE_DEMO) \
	CENTRE_PUBLIC_KEY_FILE=$(SITE_DEMO)/pusat.pem DATABASE_URL=sqlite:///$(abspath $(SITE_DEMO))/lokasi.db
site-demo: demo
	rm -rf $(SITE_DEMO) && mkdir -p $(SITE_DEMO)
	$(FLASK) site centre-key > $(SITE_DEMO)/pusat.pem
	$(FLASK) site export --schedule DEMO-SKD --site SMKN2-BINJAI --proctor pengawas@demo.id --seats 3 \
		--out $(SITE_DEMO)/paket.json.gz --pins $(SITE_DEMO)/pin.csv
	$(SITE_ENV) $(FLASK) db upgrade
	$(SITE_ENV) $(FLASK) site import $(SITE_DEMO)/paket.json.gz \
		--site-secret "$$(grep '^Kunci lokasi,' $(SITE_DEMO)/pin.csv | cut -d, -f3 | tr -d '\r')"
	@echo "PINs: $(SITE_DEMO)/pin.csv; site server: http://$(HOST):$(SITE_PORT)"
	$(SITE_ENV) BIND=$(HOST):$(SITE_PORT) WEB_CONCURRENCY=1 $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# One pytest-xdist worker per core and one more (PYTEST_JOBS=0 runs in this process; a module's tests
# stay on one worker): part of the suite's time is spent waiting on Chromium and on the servers the
# ops tests start, which the extra worker fills; each worker more also collects the whole suite
# again (3 s of CPU). On 2 cores, in this order and with the work below done once: 3 workers 2 min
# 36 s in two runs, 4 workers 2 min 41 s in two (the same runs took 245 and 260 s of CPU).
# Modules are handed out in the order tests/conftest.py sets (the
# long ones first): pytest-xdist's own order, most tests first, left the one-test modules that run
# 30 to 60 s (the two-process site sitting, the multi-node cluster) to the end, one worker running
# them while the others had finished (measured: the workers ended 27 s apart; in this order, 3 s).
# The project's modules are compiled, and the test modules' asserts rewritten, once, first, on every
# core (tests/precompile.py): every worker and every server the tests start (gunicorn nodes, the demo
# seed) would otherwise do it again, the more so where the environment sets PYTHONDONTWRITEBYTECODE
# (as this machine and CI do), which the run lifts.
PYTEST_JOBS ?= $(shell $(PYTHON) -c "import os; print(len(os.sched_getaffinity(0)) + 1)" 2>/dev/null || echo auto)
test: install-dev translations
	PYTHONDONTWRITEBYTECODE= $(BIN)/python tests/precompile.py
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy (pyproject.toml [tool.mypy]): strict for scoring/, proctoring/ and itembank/, the default checks for examserver/.
typecheck: install-dev
	$(BIN)/mypy

# The documentation in docs/ (mkdocs.yml); --strict fails on any warning, e.g. a broken link between pages.
docs: install-dev
	$(BIN)/mkdocs build --strict

bench: install-dev
	$(call INSTALL,$(DEV_BENCH))
	$(BIN)/python benchmarks/calibration.py

# Load harness (PostgreSQL on 127.0.0.1:5432, Redis on :6379): see benchmarks/README.md.
load: install-dev
	$(call INSTALL,$(DEV_BENCH))
	benchmarks/load/run.sh

faults: install-dev
	$(call INSTALL,$(DEV_BENCH))
	$(BIN)/python benchmarks/load/faults.py

clean:
	rm -rf $(VENV) site instance/*.db instance/*.db-* examserver/translations/*/LC_MESSAGES/*.mo

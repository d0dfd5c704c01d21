# make run  - set up (venv, install, migrations, demo data) and serve on http://127.0.0.1:8000
# make test - set up, lint, and run the whole suite (SQLite, PostgreSQL, browser)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1

.PHONY: fonts run test test-fast lint format messages clean install bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install fonts
	$(BIN)/inspect-app db upgrade
	$(BIN)/inspect-app demo --if-empty
	@echo ""
	@echo "  inspect-app: http://$(HOST):$(PORT)"
	@echo "  demo accounts (password demo1234): admin, supervisor, inspector1..inspector11, owner1..owner5"
	@echo "  second subdistrict: supervisor2, inspector12"
	@echo ""
	$(BIN)/inspect-app serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# The notices' PDFs need a Chinese font. Run as root on Debian, this installs one; otherwise
# (or if it fails) the app runs all the same and a PDF request says what to install.
fonts:
	@if command -v fc-list >/dev/null && [ -n "$$(fc-list :lang=zh family)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei \
	  || echo "  no Chinese font: notice PDFs need: apt-get install fonts-wqy-microhei"; \
	else echo "  no Chinese font: notice PDFs need: apt-get install fonts-wqy-microhei"; fi

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/bandit -q -r src -ll
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# Two workers (pytest-xdist) on the 2-core machine CI runs on; browser and load tests take turns
# on one of them (tests/conftest.py). XDIST= runs everything in one process.
XDIST ?= -n 2 --dist loadgroup

# The date-sensitive tests run a second time at 23:30 in the office (Asia/Shanghai) on a machine
# whose zone (UTC+14) is already tomorrow: "today" must be the office's everywhere.
CLOCK_TESTS ?= tests/test_rectifications.py tests/test_rectification_board.py \
	tests/test_rectification_pages.py tests/test_rectification_reads.py tests/test_inspections.py \
	tests/test_date_bounds.py tests/test_date_bounds_render.py tests/test_timestamps.py \
	tests/test_walkthrough_fields.py tests/test_lists_exports.py tests/test_campaign_rounds.py \
	tests/test_campaigns_api.py tests/test_campaign_pages.py tests/test_todo_pages.py \
	tests/test_notices.py tests/test_notice_numbers.py \
	tests/test_business_links.py tests/test_recheck.py

# The edit loop: SQLite only, no browser, no PostgreSQL (a few minutes). `make test` is the
# whole suite, and what CI runs.
test-fast: install
	$(BIN)/pytest -q -x $(XDIST) -m "not postgres and not browser" --ignore=tests/reliability $(PYTEST_ARGS)

test: lint fonts
	scripts/with-postgres.sh $(BIN)/pytest $(XDIST) $(PYTEST_ARGS)
	TZ=Pacific/Kiritimati INSPECT_TEST_CLOCK=23:30 $(BIN)/pytest -q $(XDIST) -m "not postgres and not browser" $(CLOCK_TESTS)

# Every benchmark; each prints its figures (README "Benchmarks"). The district data set is made
# on first use under var/bench (BENCH_SCALE=0.1 for a quick pass). Lighthouse and axe-core come
# from npm into benchmarks/node_modules. A missed target does not stop the others (the -).
BENCH_SCALE ?= 1.0
bench: install
	-$(BIN)/python benchmarks/photo_processing.py --no-steps
	-$(BIN)/python benchmarks/client_shrink.py
	-$(BIN)/python benchmarks/page_weight.py
	-$(BIN)/python benchmarks/lighthouse.py
	-$(BIN)/python benchmarks/offline_sync.py
	-$(BIN)/python benchmarks/http_load.py --scale $(BENCH_SCALE)
	-$(BIN)/python benchmarks/http_load.py --postgres --scale $(BENCH_SCALE)
	-$(BIN)/python benchmarks/load_inspectors.py --kill-at 0.4
	-$(BIN)/python benchmarks/deliveries.py --district var/bench/district-$(BENCH_SCALE:.0=).db

# Re-extract translatable strings and merge them into both catalogs.
messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -k lazy -o /tmp/inspect-messages.pot .
	$(BIN)/pybabel update -i /tmp/inspect-messages.pot -d src/inspect_app/locale --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) var

# Two commands for a fresh machine with Python 3.11, git and make:
#   make run   - the embedded default (SQLite, local files, jobs in-process) with demo data
#   make test  - the whole suite (with CI=true also on PostgreSQL)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint check-browser ci-services test-sqlite test-postgres docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Ombud needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ombud demo

# Without CI=true the Redis and IMAP tests are left out (a fresh machine has no Redis server
# and no Dovecot); with CI=true the services are installed or started first and every test
# runs on SQLite and PostgreSQL.
ifeq ($(CI),true)
PYTEST_SELECT :=
test: $(STAMP) check-browser lint ci-services test-sqlite test-postgres
else
PYTEST_SELECT := -m "not redis and not imap"
test: $(STAMP) check-browser lint test-sqlite
endif

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

check-browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else \
			echo "The browser tests need Debian's 'chromium' package at $(CHROMIUM):"; \
			echo "  sudo apt-get install chromium fonts-noto-cjk"; exit 1; \
		fi; \
	fi

test-sqlite: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_SELECT) tests

ci-services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
		echo "starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@command -v redis-server >/dev/null || { \
		echo "installing Debian's redis-server"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { \
		echo "starting Redis"; \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
			--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; }
	@command -v dovecot >/dev/null || { \
		echo "installing Debian's dovecot-imapd (the IMAP tests start their own)"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

test-postgres: $(STAMP) ci-services
	OMBUD_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2 --dist loadfile tests

docs: $(STAMP)
	$(BIN)/ombud docs

clean:
	rm -rf $(VENV) var test-artifacts

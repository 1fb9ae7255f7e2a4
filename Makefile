# Two commands matter: `make demo` runs the platform, `make test` runs the tests.
# Everything else here is a building block of those two.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint bench clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# SQLite file, tasks in-process, 8,000 demo vehicle models; safe to run again (the demo is seeded once).
demo: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo "Open http://127.0.0.1:$(PORT)/  (Ctrl-C stops the server)"
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Uses DATABASE_URL / CELERY_BROKER_URL when set (CI points them at PostgreSQL and Redis);
# without them: SQLite, and the tests that need a real worker or a browser skip with a reason.
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-demo:
	rm -f db.sqlite3

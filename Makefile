# The two set-up commands of the README:
#   make run    serve the app on http://127.0.0.1:5000 with the built-in plan (SQLite)
#   make test   run the whole test suite, on SQLite and on a throwaway PostgreSQL
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint-imports clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/survey-service init
	$(BIN)/survey-service quickstart
	$(BIN)/survey-service serve --host 127.0.0.1 --port 5000

test: $(STAMP)
	scripts/ensure-chromium
	SURVEY_REQUIRE_BROWSER=1 SURVEY_REQUIRE_POSTGRES=1 scripts/with-postgres $(BIN)/python -m pytest $(PYTEST_ARGS)

lint-imports: $(STAMP)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis

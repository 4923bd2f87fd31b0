# baocao: two commands for a fresh clone (README "Quick start").
#   make report   builds the default year (2023) from the sample data
#   make test     runs every test
# Both create .venv and install the pinned environment (requirements.lock) first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
YEAR   ?= 2023

.PHONY: report test all validate sample-data lock clean help

help:
	@echo "make report   build the $(YEAR) report (HTML + PDF) into build/$(YEAR)/"
	@echo "make test     run the test suite"
	@echo "make all      build every sample year"
	@echo "make lock     re-pin requirements.lock and environment.yml from .venv"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "baocao needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

report: $(STAMP)
	$(BIN)/baocao build --year $(YEAR)

all: $(STAMP)
	$(BIN)/baocao build --all

validate: $(STAMP)
	$(BIN)/baocao validate --year $(YEAR)

test: $(STAMP)
	$(BIN)/python -m pytest

sample-data: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

lock: $(STAMP)
	$(BIN)/python scripts/lock.py

clean:
	rm -rf build archive

# baocao: two commands for a fresh clone (README "Quick start").
#   make report   builds the default year (2023) from the sample data
#   make test     runs every test
# Both create .venv and install the pinned environment (requirements.lock) first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
YEAR   ?= 2023

.PHONY: report test lint all validate sample-data lock clean help

help:
	@echo "make report   build the $(YEAR) report (HTML, PDF, Word) into build/$(YEAR)/"
	@echo "make test     run the linters, then the test suite"
	@echo "make lint     ruff (lint, format check), mypy on src/, vulture"
	@echo "make all      build every sample year"
	@echo "make lock     re-pin requirements.lock and environment.yml from .venv"

# First set-up says what it is doing: one line per stage with how long it usually takes, and
# pip's own progress (one line per package) while the pinned environment installs.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "baocao needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	@echo "[1/3] Tạo môi trường Python $(VENV)/ / creating the Python environment $(VENV)/ (a few seconds)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[2/3] Cài $(shell grep -c '==' requirements.lock) gói đã ghim trong requirements.lock (khoảng 1-2 phút lần đầu, ~900 MB) / installing the $(shell grep -c '==' requirements.lock) pinned packages of requirements.lock (usually 1-2 minutes the first time, ~900 MB):"
	$(BIN)/python -m pip install --disable-pip-version-check --only-binary=:all: --progress-bar on -r requirements.lock
	@echo "[3/3] Cài baocao (mã nguồn src/) / installing baocao from src/ (a few seconds)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "Môi trường đã sẵn sàng / the environment is ready ($(VENV)/)"

report: $(STAMP)
	@echo "Dựng báo cáo năm $(YEAR) (HTML, PDF, Word; khoảng 10-20 giây) / building the $(YEAR) report (HTML, PDF, Word; about 10-20 s)"
	$(BIN)/baocao build --year $(YEAR)

all: $(STAMP)
	$(BIN)/baocao build --all

validate: $(STAMP)
	$(BIN)/baocao validate --year $(YEAR)

# The field's everyday checks, pinned like every other tool (requirements.lock); make test runs them first.
lint: $(STAMP)
	@echo "Kiểm tra mã (ruff, mypy, vulture; vài giây) / checking the code (ruff, mypy, vulture; a few seconds)"
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy src
	$(BIN)/python -m vulture src --min-confidence 80

test: $(STAMP) lint
	@echo "Chạy bộ kiểm thử trên mọi lõi CPU (khoảng 16 phút trên 2 lõi) / running the test suite on every CPU core (about 16 minutes on two cores; each test file runs whole on one worker)"
	$(BIN)/python -m pytest -n auto --dist loadfile

sample-data: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

lock: $(STAMP)
	$(BIN)/python scripts/lock.py

clean:
	rm -rf build archive

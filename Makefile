# Two commands for a fresh machine: `make run` (set up + default workflow), `make test` (set up + tests).
VENV := .venv
PY := $(VENV)/bin/python
CORES ?= all

$(VENV)/installed: pyproject.toml constraints.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

.PHONY: run test lint bench
run: $(VENV)/installed
	$(VENV)/bin/snakemake --profile profiles/local --cores $(CORES)

test: $(VENV)/installed
	$(PY) -m pytest

lint: $(VENV)/installed
	$(VENV)/bin/snakemake --lint
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules

bench: $(VENV)/installed
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

# Two commands for a fresh machine: `make run` (set up + default workflow), `make test` (set up + tests).
VENV := .venv
PY := $(VENV)/bin/python
CORES ?= all

$(VENV)/installed: pyproject.toml constraints.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

.PHONY: run test slurm-deps lint bench
run: $(VENV)/installed
	$(VENV)/bin/snakemake --profile profiles/local --cores $(CORES)

# Lint and format checks first (seconds), then every test; any failure fails the target.
test: lint slurm-deps
	$(PY) -m pytest

# The SLURM test (tests/test_slurm.py) needs Debian's slurm-wlm and munge: installed here when missing
# and running as root; otherwise that test skips and says why.
slurm-deps:
	@if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
		&& command -v munged >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge; \
	else echo "slurm-wlm/munge missing and not root: tests/test_slurm.py will skip"; fi

lint: $(VENV)/installed
	$(VENV)/bin/snakemake --lint
	$(VENV)/bin/snakefmt --check workflow
	$(VENV)/bin/ruff check src tests workflow/scripts benchmarks examples

bench: $(VENV)/installed
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

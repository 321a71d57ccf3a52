"""Adding an experiment: one library module, one rule file and one schema section, in a real Snakemake run.

A scratch copy of the library and the workflow gets the toy two-moons experiment of tests/toy/ (module,
rule file, schema section, one `include:` line); its models go through the shared stages (hessian,
landscapes, topology, run table) into `table_tda_correlations` beside the PINN's.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, TINY

TOY = ROOT / "tests" / "toy"


def scratch_copy(tmp_path):
    """The library and the workflow copied to `tmp_path`, with the toy experiment added."""
    shutil.copytree(ROOT / "src", tmp_path / "src", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "workflow", tmp_path / "workflow", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(TOY / "moons.py", tmp_path / "src/losstopo/experiments/moons.py")
    shutil.copy(TOY / "moons.smk", tmp_path / "workflow/rules/moons.smk")
    snakefile = tmp_path / "workflow/Snakefile"
    snakefile.write_text(snakefile.read_text().replace(
        'include: "rules/common.smk"\n', 'include: "rules/common.smk"\ninclude: "rules/moons.smk"\n'))
    schema_path = tmp_path / "src/losstopo/schemas/config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    schema["properties"].update(yaml.safe_load((TOY / "schema.yaml").read_text()))
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))
    for folder in ("config", "envs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)


@pytest.mark.e2e
def test_a_toy_experiment_runs_through_every_stage(tmp_path):
    scratch_copy(tmp_path)
    config = tmp_path / "toy.yaml"
    config.write_text(yaml.safe_dump({
        "targets": ["table_tda_correlations"],
        "moons": {"widths": [4, 8], "seeds": [0, 1], "steps": 60, "landscape": {"steps": 9}},
    }))
    run = subprocess.run(
        [SNAKEMAKE, "--snakefile", tmp_path / "workflow/Snakefile", "--directory", tmp_path, "--cores", "2",
         "--configfile", TINY, config, "--show-failed-logs"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONPATH": str(tmp_path / "src")},
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-6000:]
    table = pd.read_csv(tmp_path / "results/tables/moons_runs.csv")
    assert sorted(zip(table["width"], table["seed"])) == [(4, 0), (4, 1), (8, 0), (8, 1)]
    assert (table["accuracy"] > 0.75).all() and (table["top_eigenvalue"] > 0).all()
    assert (table["random_n_minima"] >= 1).all() and (table["hessian_n_minima"] >= 1).all()
    correlations = pd.read_csv(tmp_path / "results/tables/tda_correlations.csv")
    assert {"moons", "pinn"} <= set(correlations["experiment"])
    moons = correlations[correlations["experiment"] == "moons"]
    assert set(moons["ml_metric"]) == {"top_eigenvalue", "trace", "loss", "accuracy", "width"}
    assert (moons["n"] == 4).all()

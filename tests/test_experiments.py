"""Experiments as library objects: every registered experiment's runs and problem specs from each shipped
config, without Snakemake, and without importing torch (the workflow asks them at every start)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

from losstopo import paths
from losstopo.config import load_config
from losstopo.experiments import active, builtin, experiments, find
from losstopo.experiments.neurovis import groups, panel_figures, table_rows
from losstopo.problems.registry import make_problem

CONFIGS = ["config/config.yaml", "config/paper.yaml", "tests/config/tiny.yaml"]
RUN_ID = re.compile(r"[^/]+(/[^/]+)*")


@pytest.mark.parametrize("config_file", CONFIGS)
def test_every_experiment_lists_its_runs_and_problems(config_file):
    config = load_config(ROOT / config_file)
    assert {"pinn", "resnet20", "unet_crf", "pinn_nv", "balancing", "cophy", "cifar_small"} <= set(builtin())
    for name, exp in experiments(config).items():
        runs = exp.runs(config)
        assert runs, name
        for run_id, run in runs.items():
            assert RUN_ID.fullmatch(run_id) and run_id == exp.pattern.format(**run.values), (name, run_id)
            spec = exp.problem(config, run.values)
            assert isinstance(spec["name"], str), (name, spec)
            assert isinstance(exp.train_settings(config, run.values), dict)
    assert set(active(config)) == {"pinn", "resnet20", "unet_crf"}


def test_the_pinn_sweep_and_its_problem():
    config = load_config(ROOT / "tests/config/tiny.yaml")
    pinn = find(config, "pinn")
    assert list(pinn.runs(config)) == ["beta1/lr1/seed0", "beta9/lr1/seed0"]
    spec = pinn.problem(config, {"beta": "9", "lr": "1", "seed": "0"})
    assert spec == {"name": "convection", "beta": 9.0, "c_r": 1.0, "hidden": [16, 16], "n_x": 64, "n_t": 20,
                    "n_f": 50, "data_seed": 0}
    assert make_problem(spec).spec.size == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1


def test_unet_epochs_chain_by_their_previous_run():
    config = load_config(ROOT / "tests/config/tiny.yaml")
    unet = find(config, "unet_crf")
    assert list(unet.runs(config)) == ["lr0.01/seed0/epoch1", "lr0.01/seed0/epoch2"]
    assert unet.previous({"lr": "0.01", "seed": "0", "epoch": "1"}) is None
    assert unet.previous({"lr": "0.01", "seed": "0", "epoch": "2"}) == {"lr": "0.01", "seed": "0", "epoch": "1"}


def test_figures_and_groups_name_files_that_their_experiments_make():
    config = load_config(ROOT / "config/config.yaml")
    made = {paths.run_file(name, run_id, paths.TRAJECTORY)
            for name, exp in experiments(config).items() for run_id in exp.runs(config)}
    for group in groups(config).values():
        assert {t.trajectory for t in group.trajectories} <= made, group.name
    shown = {(p.group, p.embedding) for fig in panel_figures(config).values() for p in fig.panels}
    assert {g for g, _ in shown} <= set(groups(config))
    rows = table_rows(config)
    assert [row["method"] for row in rows] == ["nv", "pca", "kpca", "umap"] * len(groups(config))
    assert [row["trajectory"] for row in rows[::4]][:2] == ["pinn_beta30_cr1", "cophy"]  # the paper's rows first
    assert {row["trajectory"] for row in rows} == set(groups(config))
    records = find(config, "pinn").figure_runs(config, "fig_t2_pinn_failure")["runs"]
    assert [r["beta"] for r in records] == ["1", "5", "9"]
    assert records[0]["files"]["esd"] == "results/pinn/beta1/lr1/seed0/esd.npz"


def test_a_bad_entry_name_is_named():
    config = load_config(ROOT / "tests/config/tiny.yaml")
    config["models"] = {"pinn": {"checkpoints": "x.pt"}}
    with pytest.raises(ValueError, match="models.pinn: entry names must"):
        experiments(config)


def test_listing_experiments_imports_no_torch():
    code = ("import sys; from losstopo.config import load_config; from losstopo.experiments import experiments; "
            "c = load_config('config/config.yaml'); [e.runs(c) for e in experiments(c).values()]; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

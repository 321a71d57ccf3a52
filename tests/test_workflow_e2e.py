"""End to end: the real Snakemake workflow on the tiny config, every target, sane numbers."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, TINY

from losstopo.config import load_config
from losstopo.experiments.neurovis import groups

TARGETS = yaml.safe_load(TINY.read_text())["targets"]


@pytest.mark.e2e
def test_every_target_exists(tiny_run):
    for name in TARGETS:
        for ext in ("png", "pdf"):
            path = tiny_run / "results/figures" / f"{name}.{ext}"
            assert path.stat().st_size > 10_000, path


@pytest.mark.e2e
def test_models_and_table_hold_sane_numbers(tiny_run):
    table = pd.read_csv(tiny_run / "results/tables/pinn_runs.csv")
    assert sorted(table["beta"]) == [1.0, 9.0]
    assert table["rel_l2_error"].between(0, 10).all()
    assert (table["top_eigenvalue"] > 0).all() and np.isfinite(table["trace"]).all()
    for kind in ("random", "hessian"):
        assert (table[f"{kind}_n_minima"] >= 1).all()
        assert (table[f"{kind}_n_saddles"] <= table[f"{kind}_n_minima"] - 1).all()
    correlations = pd.read_csv(tiny_run / "results/tables/tda_correlations.csv")
    assert set(correlations["kind"]) == {"random", "hessian"}
    assert (correlations["ci_low"].isna() | (correlations["ci_low"] <= correlations["spearman_rho"])).all()
    assert {"p_bh", "partial_rho", "tda_aliases", "ml_aliases"} <= set(correlations.columns)


@pytest.mark.e2e
def test_findings_give_every_claim_a_verdict(tiny_run):
    from losstopo.findings import CLAIMS

    findings = pd.read_csv(tiny_run / "results/tables/findings.csv")
    assert set(findings["id"]) == {claim.id for claim in CLAIMS}
    assert set(findings["verdict"]) <= {"supported", "contradicted", "inconclusive"}
    assert findings["verdict"].notna().all() and (findings["n"] >= 0).all()
    assert findings.loc[findings["id"] == "P7", "n"].item() == 2  # the tiny config's two profile runs


@pytest.mark.e2e
def test_landscape_and_provenance(tiny_run):
    run = tiny_run / "results/pinn/beta1/lr1/seed0"
    with np.load(run / "landscape_hessian_4d.npz") as data:
        assert data["loss"].shape == (5, 5, 5, 5)
        centre = data["loss"][2, 2, 2, 2]
    metrics = json.loads((run / "metrics.json").read_text())
    assert centre == pytest.approx(metrics["loss"], rel=1e-4)
    assert metrics["provenance"]["versions"]["torch"].startswith("2.14.1")
    assert (run / "landscape_random_2d.vti").stat().st_size > 0



@pytest.mark.e2e
def test_every_experiment_joins_the_correlations(tiny_run):
    correlations = pd.read_csv(tiny_run / "results/tables/tda_correlations.csv")
    assert set(correlations["experiment"]) == {"pinn", "resnet20", "unet_crf"}
    assert "beta" in set(correlations["ml_metric"]) and "epoch" in set(correlations["ml_metric"])
    resnet = pd.read_csv(tiny_run / "results/tables/resnet20_runs.csv")
    assert sorted(resnet["variant"]) == ["plain", "residual"] and resnet["test_error"].between(0, 1).all()
    unet = pd.read_csv(tiny_run / "results/tables/unet_crf_runs.csv")
    assert sorted(unet["epoch"]) == [1.0, 2.0] and (unet["top_eigenvalue"] > 0).all()
    assert unet["test_pixel_accuracy"].between(0, 1).all()


@pytest.mark.e2e
def test_stability_covers_the_chosen_runs_with_finite_variation(tiny_run):
    table = pd.read_csv(tiny_run / "results/tables/stability.csv")
    assert set(zip(table["experiment"], table["run"])) == {
        ("pinn", "beta1/lr1/seed0"), ("pinn", "beta9/lr1/seed0"), ("resnet20", "plain/seed0"),
        ("unet_crf", "lr0.01/seed0/epoch2")}
    pinn = table[table["experiment"] == "pinn"]
    assert set(pinn["factor"]) == {"draw", "resolution", "distance"} and set(pinn["kind"]) == {"random", "hessian"}
    assert "batch" in set(table.loc[table["experiment"] == "resnet20", "factor"])  # two test batches of 32
    assert (table["cv"].dropna() >= 0).all() and table["cv"].notna().any()
    runs = pd.read_csv(tiny_run / "results/pinn/beta9/lr1/seed0/stability.csv")
    assert set(runs.loc[runs["factor"] == "resolution", "level"]) == {9, 15, 21}


@pytest.mark.e2e
def test_projection_errors_cover_every_method_and_trajectory(tiny_run):
    errors = pd.read_csv(tiny_run / "results/tables/n1_projection_errors.csv")
    assert set(errors["method"]) == {"nv", "pca", "kpca", "umap"}
    expected = list(groups(load_config(TINY)))  # Table 1 extended: every embedded group, the paper's rows first
    assert list(errors["trajectory"].drop_duplicates())[:2] == ["pinn_beta30_cr1", "cophy"]
    assert sorted(errors["trajectory"].unique()) == sorted(expected) and len(errors) == 4 * len(expected)
    assert np.isfinite(errors[["e_relative", "e_proj"]].to_numpy()).all()


@pytest.mark.e2e
def test_report_holds_every_figure_with_its_caption(tiny_run):
    report = tiny_run / "report.html"
    run = subprocess.run(
        [SNAKEMAKE, "--snakefile", ROOT / "workflow/Snakefile", "--directory", tiny_run, "--configfile",
         ROOT / "tests/config/tiny.yaml", "--report", report],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    html = report.read_text()
    for name in TARGETS:
        assert f"{name}.png" in html, name
    assert "Paper T Fig. 1" in html and "Paper N Table 1" in html  # captions from workflow/report/

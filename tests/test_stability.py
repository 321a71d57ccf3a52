"""The stability stage: metrics over draws, resolutions, distances and batches, against analytic landscapes
(a known number of minima), the sign symmetry of Hessian directions, and the workflow's glue."""

from __future__ import annotations

import runpy
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT, tiny_classifier
from scipy.ndimage import gaussian_filter

from losstopo.artifacts import save_model
from losstopo.config import load_config
from losstopo.experiments import find, stability_runs
from losstopo.problems.base import ParamSpec
from losstopo.problems.registry import make_problem
from losstopo.settings import LandscapeSettings, TopologySettings, default
from losstopo.stages.landscape import compute_landscape
from losstopo.stages.stability import compute_stability
from losstopo.topology import landscape_topology
from losstopo.topology.stability import (
    METRICS,
    Grid,
    coefficient_of_variation,
    odd_steps,
    stability_design,
    stability_table,
    variation,
)

TOPOLOGY = TopologySettings().to_dict()
CENTRES = torch.tensor([[0.0, 0.0], [0.55, 0.3], [-0.45, 0.4]], dtype=torch.float64)
DEPTHS = torch.tensor([1.0, 0.8, 0.6], dtype=torch.float64)
WIDTH = 0.06


class Wells:
    """f(x) = 0.3 |x|^2 - sum_i a_i exp(-|x - c_i|^2 / (2 w^2)) of two coordinates: exactly three minima, one
    per Gaussian well (the one at the origin also holds the bowl's minimum), two saddles between them."""

    spec = ParamSpec.from_shapes([("x", (2, 1))])

    def init(self, seed: int) -> torch.Tensor:
        return torch.zeros(2, dtype=torch.float64)

    def loss_terms(self, thetas: torch.Tensor) -> dict[str, torch.Tensor]:
        d2 = ((thetas[:, None, :] - CENTRES.to(thetas.dtype)) ** 2).sum(-1)
        wells = (DEPTHS.to(thetas.dtype) * torch.exp(-d2 / (2 * WIDTH**2))).sum(-1)
        return {"loss": 0.3 * (thetas**2).sum(-1) - wells}

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        return self.loss_terms(theta[None])["loss"][0]

    def evaluate(self, theta: torch.Tensor) -> dict[str, float]:
        return {"loss": float(self.loss(theta))}


def wells_landscape(steps: int = 9) -> dict:
    """Landscape settings whose Hessian-kind grid along the unit axes is f itself on [-1, 1]^2."""
    settings = replace(LandscapeSettings(), kinds=("hessian",), steps=steps).for_every_kind(distance=1.0)
    return settings.to_dict()


STABILITY = {"draws": 2, "resolution_scales": [1.0], "distance_scales": [1.0], "batches": 1}


def test_the_minima_of_three_gaussian_wells_converge_to_three_as_the_resolution_grows():
    problem = Wells()
    stability = {**STABILITY, "resolution_scales": [0.5, 1.0, 2.0, 4.0, 8.0]}
    report = compute_stability(problem, problem.init(0), {"name": "wells"}, wells_landscape(9), TOPOLOGY,
                               stability, eigvecs=np.eye(2, dtype=np.float32))
    rows = report.table.query("factor == 'resolution' and draw == 0")
    minima = rows[rows["metric"] == "n_minima"].set_index("level")["value"]
    saddles = rows[rows["metric"] == "n_saddles"].set_index("level")["value"]
    assert list(minima.index) == [5, 9, 17, 33, 65]
    assert list(minima) == [1, 2, 3, 3, 3]  # the narrow wells fall between coarse grid points
    assert list(saddles)[-3:] == [2, 2, 2]
    smad = rows[rows["metric"] == "smad"].set_index("level")["value"]
    assert abs(smad[65] - smad[33]) < 0.03 * smad[65]  # SMAD settles too
    assert report.n_landscapes == 5  # draw 1 (the mirror) needs no evaluation


def test_the_design_crosses_every_factor_with_every_draw():
    design = stability_design({"random": (41, 1.0), "hessian": (41, 0.5)}, draws=3, resolution_scales=[0.5, 1, 1.5],
                              distance_scales=[1.0, 0.5], batches=2)
    counts = pd.Series([f"{grid.kind} {factor}" for factor, _, grid in design]).value_counts()
    assert counts["random draw"] == 3 and counts["hessian draw"] == 2  # a deterministic kind: 2 orientations
    assert counts["random resolution"] == 9 and counts["random distance"] == 6 and counts["random batch"] == 6
    assert {grid.steps for _, _, grid in design} == {21, 41, 61}
    assert {level for factor, level, _ in design if factor == "distance"} == {1.0, 0.5, 0.25}
    assert len({grid for _, _, grid in design}) == 3 * 5 + 2 * 5  # shared base grids counted once
    assert [odd_steps(11, s) for s in (0.5, 1.0, 1.5)] == [5, 11, 17] and odd_steps(5, 0.1) == 3


def test_coefficients_of_variation_over_draws_and_over_levels_at_each_draw():
    rows = [("random", "draw", d, d, "n_minima", v) for d, v in enumerate([2.0, 4.0, 6.0])]
    rows += [("random", "resolution", s, d, "n_minima", v)
             for d, values in enumerate([[1.0, 1.0], [2.0, 4.0], [3.0, 3.0]]) for s, v in zip([21, 41], values)]
    table = pd.DataFrame(rows, columns=["kind", "factor", "level", "draw", "metric", "value"])
    cv = variation(table).set_index("factor")["cv"]
    assert cv["draw"] == pytest.approx(2.0 / 4.0)  # std 2 over mean 4
    assert cv["resolution"] == pytest.approx(np.mean([0.0, np.sqrt(2) / 3, 0.0]))
    assert coefficient_of_variation([0.0, 0.0]) == 0.0 and np.isnan(coefficient_of_variation([1.0, np.nan]))


def rugged(seed: int, n: int = 41) -> np.ndarray:
    return gaussian_filter(np.random.default_rng(seed).normal(size=(n, n)), 2)


def summaries(loss: np.ndarray, connectivity: str) -> dict:
    topology = landscape_topology(loss, [np.linspace(-1, 1, loss.shape[0])] * 2, connectivity)
    return {key: topology.summary()[key] for key in METRICS}


def test_a_sign_flip_mirrors_the_grid_and_which_mirrors_leave_the_topology_unchanged():
    """Flipping a direction's sign mirrors the grid along its axis. On the mirror-symmetric graphs (axis,
    full) every metric stays; on ttk's triangulation flipping both signs (a point reflection) keeps them,
    but one flip turns the diagonals and moves the counts: why a deterministic kind's draw 1 is its mirror."""
    moved = 0
    for seed in range(5):
        loss = rugged(seed)
        for connectivity in ("axis", "full"):
            assert summaries(loss[::-1], connectivity) == pytest.approx(summaries(loss, connectivity), rel=1e-12)
        assert summaries(loss[::-1, ::-1], "ttk") == pytest.approx(summaries(loss, "ttk"), rel=1e-12)
        moved += summaries(loss[::-1], "ttk")["n_minima"] != summaries(loss, "ttk")["n_minima"]
    assert moved >= 3


def test_the_landscape_along_a_flipped_eigenvector_is_the_mirrored_landscape():
    """Through the landscape stage: -e1 samples the losses of e1 in mirrored order (to the axes' rounding),
    and the stability table's draw 1 of e1 is draw 0 of -e1, metric by metric."""
    problem = Wells()
    theta = problem.init(0) + torch.tensor([0.05, -0.02], dtype=torch.float64)
    vectors = np.array([[0.8, 0.6], [-0.6, 0.8]], dtype=np.float32)
    flipped = vectors * np.array([[-1.0], [1.0]], dtype=np.float32)
    job = {**LandscapeSettings().job("hessian", 2), "steps": 21, "distance": 0.9, "dtype": "float64"}
    plus = compute_landscape(problem, theta, {}, "hessian", 2, job, eigvecs=vectors).loss
    minus = compute_landscape(problem, theta, {}, "hessian", 2, job, eigvecs=flipped).loss
    np.testing.assert_allclose(minus, plus[::-1], rtol=1e-12, atol=1e-12)

    landscape = {**wells_landscape(21), "hessian": {"normalization": "none", "distance": 0.9, "ignore_bias": False}}
    stability = {**STABILITY, "resolution_scales": [0.5, 1.0]}
    tables = [compute_stability(problem, theta, {}, landscape, TOPOLOGY, stability, eigvecs=v).table
              for v in (vectors, flipped)]
    key = ["factor", "level", "metric"]
    for draw in (0, 1):
        a = tables[0][tables[0]["draw"] == draw].set_index(key)["value"]
        b = tables[1][tables[1]["draw"] == 1 - draw].set_index(key)["value"]
        np.testing.assert_allclose(a.sort_index(), b.sort_index(), rtol=1e-9)


def test_random_draws_are_new_directions_and_draw_zero_is_the_runs_own_landscape():
    problem = make_problem({"name": "convection", "beta": 3.0, "hidden": [8, 8], "n_x": 32, "n_t": 16, "n_f": 40})
    theta = problem.init(0)
    landscape = replace(LandscapeSettings(), kinds=("random",), steps=9).to_dict()
    grids = []

    def evaluate(grid: Grid):
        grids.append(grid)
        job = {**LandscapeSettings().job("random", 2), "steps": grid.steps, "seed": grid.draw}
        return compute_landscape(problem, theta, {}, "random", 2, job).loss, [np.linspace(-1, 1, grid.steps)] * 2

    design = stability_design({"random": (9, 1.0)}, 3, [1.0], [1.0])
    table = stability_table(evaluate, design, TOPOLOGY)
    assert [g.draw for g in grids] == [0, 1, 2]  # one landscape per draw, shared by the factors
    report = compute_stability(problem, theta, {}, landscape, TOPOLOGY, {**STABILITY, "draws": 3})
    own = landscape_topology(compute_landscape(problem, theta, {}, "random", 2, LandscapeSettings().job("random", 2)
                                               | {"steps": 9}).loss, [np.linspace(-1, 1, 9)] * 2).summary()
    base = report.table.query("factor == 'draw' and draw == 0").set_index("metric")["value"]
    assert base["n_minima"] == own["n_minima"] and base["smad"] == pytest.approx(own["smad"])
    pd.testing.assert_frame_equal(report.table, table)


def test_a_diverged_model_gives_nan_metrics_and_nan_variation():
    problem = Wells()
    theta = torch.full((2,), float("nan"), dtype=torch.float64)
    report = compute_stability(problem, theta, {}, wells_landscape(9), TOPOLOGY, STABILITY,
                               eigvecs=np.full((2, 2), np.nan, np.float32))
    assert report.table["value"].isna().all() and report.variation["cv"].isna().all()


def test_evaluation_batches_split_a_module_problem_into_equal_parts():
    problem = tiny_classifier()
    parts = problem.split(2)
    assert [p.n_samples for p in parts] == [45, 45]
    theta = problem.init(0)
    whole = problem.split(1)[0]
    assert float(whole.loss(theta)) == pytest.approx(float(problem.loss(theta)), rel=1e-12)
    assert np.mean([float(p.loss(theta)) for p in parts]) == pytest.approx(float(problem.loss(theta)), rel=1e-12)
    assert float(parts[0].loss(theta)) != pytest.approx(float(parts[1].loss(theta)))


def test_the_runs_measured_come_from_the_experiments():
    config = load_config(ROOT / "config/config.yaml")
    chosen = {(name, run.id) for name, run in stability_runs(config)}
    assert chosen == {("pinn", "beta1/lr1/seed0"), ("pinn", "beta9/lr1/seed0"), ("resnet20", "plain/seed0"),
                      ("unet_crf", "lr0.01/seed0/epoch3")}
    resnet = find(config, "resnet20")
    assert [run["variant"] for run in resnet.default_stability_runs(config)] == ["residual", "plain"]
    batches = resnet.stability_batches(config, {"variant": "plain", "seed": "0"}, 2)
    assert batches["batches"] == 2 and batches["spec"]["eval_batches"] == 2
    assert resnet.stability_batches(config, {"variant": "plain", "seed": "0"}, 100)["batches"] == 256 // 32
    assert find(config, "pinn").stability_batches(config, {"beta": "1", "lr": "1", "seed": "0"}, 2) is None
    assert find(config, "resnet20").stage_settings(config, "stability")["resolution_scales"] == [0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="stability.runs.pinn"):
        stability_runs({**config, "stability": {**config["stability"], "runs": {"pinn": ["beta2/lr1/seed0"]}}})
    with pytest.raises(ValueError, match="stability.runs"):
        stability_runs({**config, "stability": {**config["stability"], "runs": {"nope": []}}})
    assert default("stability", "draws") == 3


def test_the_stability_script_writes_the_table_and_logs_the_variation(tmp_path):
    spec = {"name": "convection", "beta": 3.0, "hidden": [8, 8], "n_x": 32, "n_t": 16, "n_f": 40}
    problem = make_problem(spec)
    save_model(tmp_path / "model.pt", problem.init(0), spec, {})
    eigvecs = np.linalg.qr(np.random.default_rng(0).normal(size=(problem.spec.size, 4)))[0].T.astype(np.float32)
    np.save(tmp_path / "eigvecs.npy", eigvecs)
    landscape = replace(LandscapeSettings(), steps=7).to_dict()
    smk = SimpleNamespace(
        input=SimpleNamespace(model=str(tmp_path / "model.pt"), eigvecs=str(tmp_path / "eigvecs.npy")),
        output=SimpleNamespace(csv=str(tmp_path / "stability.csv")),
        params=SimpleNamespace(settings={"landscape": landscape, "topology": TOPOLOGY, "batches": None,
                                         "stability": {**STABILITY, "resolution_scales": [0.6, 1.0]}}),
        log=[str(tmp_path / "stability.log")], threads=1,
    )
    runpy.run_path(str(ROOT / "workflow/scripts/stability.py"), init_globals={"snakemake": smk})
    table = pd.read_csv(smk.output.csv)
    assert list(table.columns) == ["kind", "factor", "level", "draw", "metric", "value"]
    assert set(table["kind"]) == {"random", "hessian"} and set(table["metric"]) == set(METRICS)
    assert set(table.loc[table["factor"] == "resolution", "level"]) == {5, 7}
    log = Path(smk.log[0]).read_text()
    assert "coefficient of variation" in log and "resolution" in log and "n_minima" in log

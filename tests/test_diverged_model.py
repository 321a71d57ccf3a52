"""A diverged model (every weight NaN) flows through the per-model stages as a recorded status, never a crash."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from losstopo.artifacts import load_json, save_model
from losstopo.problems.registry import make_problem
from losstopo.tables import run_row, tda_correlations

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
SPEC = {"name": "convection", "beta": 3.0, "hidden": [8, 8], "n_x": 32, "n_t": 16, "n_f": 40}
HESSIAN = {"top_k": 4, "tol": 1e-4, "max_iter": 20, "trace_rtol": 0.1, "trace_max_samples": 10, "esd_runs": 1,
           "esd_steps": 10, "seed": 0, "dtype": "float64"}
LANDSCAPE = {"steps": 5, "chunk_memory_mb": 4, "save_every_s": 30, "seed": 0, "dtype": "float32", "distance": 0.5}


def run(script: str, **smk) -> None:
    runpy.run_path(str(SCRIPTS / script), init_globals={"snakemake": SimpleNamespace(threads=1, **smk)})


def test_a_diverged_model_is_recorded_by_every_stage(tmp_path):
    theta = torch.full_like(make_problem(SPEC).init(0), float("nan"))
    save_model(tmp_path / "model.pt", theta, SPEC, {})
    out = {"json": str(tmp_path / "hessian.json"), "eigvecs": str(tmp_path / "eigvecs.npy"),
           "esd": str(tmp_path / "esd.npz")}
    run("hessian.py", input=SimpleNamespace(model=str(tmp_path / "model.pt")), output=SimpleNamespace(**out),
        params=SimpleNamespace(hessian=HESSIAN), log=[str(tmp_path / "hessian.log")])
    hessian = load_json(out["json"])
    assert hessian["status"] == "diverged" and np.isnan(hessian["top_eigenvalue"]) and np.isnan(hessian["trace"])

    topologies = {}
    for kind, norm in (("random", "filter"), ("hessian", "none")):
        stem = tmp_path / f"landscape_{kind}_2d"
        run("landscape.py",
            input=SimpleNamespace(model=str(tmp_path / "model.pt"), eigvecs=out["eigvecs"]),
            output=SimpleNamespace(npz=f"{stem}.npz", vti=f"{stem}.vti", png=f"{stem}.png"),
            wildcards=SimpleNamespace(kind=kind, dim="2"),
            params=SimpleNamespace(landscape={**LANDSCAPE, "normalization": norm, "ignore_bias": False}),
            log=[f"{stem}.log"])
        with np.load(f"{stem}.npz") as data:
            assert np.isnan(data["loss"]).all() and json.loads(str(data["meta"]))["status"] == "diverged"
        topo = tmp_path / f"topology_{kind}_2d"
        run("topology.py", input=SimpleNamespace(landscape=f"{stem}.npz"),
            output=SimpleNamespace(json=f"{topo}.json", npz=f"{topo}.npz"),
            params=SimpleNamespace(topology={"connectivity": "ttk", "k": 8, "persistence_threshold": 0.0}),
            log=[f"{topo}.log"])
        topologies[kind] = load_json(f"{topo}.json")
        assert topologies[kind]["status"] == "no finite loss" and np.isnan(topologies[kind]["n_saddles"])

    healthy = {"n_saddles": 1, "n_minima": 2, "avg_persistence": 0.5, "total_persistence": 0.5}
    rows = [run_row({"beta": "3", "seed": "0"}, {"diverged": True}, hessian, topologies)]
    rows += [run_row({"beta": str(b), "seed": "0"}, {"diverged": False, "rel_l2_error": b / 10},
                     {"eigenvalues": [b], "trace": b, "trace_stderr": 0.0},
                     {"random": {**healthy, "n_saddles": b}, "hessian": healthy}) for b in (1, 2, 4, 5)]
    table = pd.DataFrame(rows)
    assert bool(table.loc[0, "diverged"]) and np.isnan(table.loc[0, "random_n_saddles"])
    corr = tda_correlations(table, ["random"], "pinn", ["rel_l2_error", "beta"]).set_index(["tda_metric", "ml_metric"])
    assert corr.loc[("n_saddles", "beta"), "n"] == 4  # the diverged row is skipped, not a NaN correlation
    assert corr.loc[("n_saddles", "beta"), "spearman_rho"] == 1.0

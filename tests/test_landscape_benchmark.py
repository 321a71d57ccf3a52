"""The benchmark's contenders compute the same landscape: the per-point loops and the engine."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from losstopo.landscape import grid_losses, random_directions, uniform_axes
from losstopo.problems.convection import ConvectionConfig, ConvectionPINN

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "landscape.py"


def _bench():
    spec = importlib.util.spec_from_file_location("landscape_benchmark", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loops_match_the_engine():
    bench = _bench()
    config = ConvectionConfig(beta=5.0, hidden=(8, 8), n_x=16, n_t=8, n_f=20, dtype=torch.float64)
    pinn = ConvectionPINN(config)
    theta0 = pinn.init(0)
    dirs = random_directions(theta0, pinn.spec, 2, seed=0)
    axes = uniform_axes(2, 1.0, 5)
    coords = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    engine = grid_losses(pinn, theta0, dirs, axes, chunk=8).loss.ravel()
    np.testing.assert_allclose(bench.pinn_loop(pinn, theta0, dirs.vectors, coords), engine, rtol=1e-10)

    mlp = bench.regression_problem()
    theta0 = mlp.init(0)
    dirs = random_directions(theta0, mlp.spec, 2, seed=0)
    engine = grid_losses(mlp, theta0, dirs, axes, chunk=8).loss.ravel()
    np.testing.assert_allclose(bench.module_loop(mlp, theta0, dirs.vectors, coords), engine, rtol=1e-5)

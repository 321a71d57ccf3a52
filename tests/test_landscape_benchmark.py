"""The benchmark's contenders compute the same landscape, and its FLOP count is the network's.

The per-point loops (autograd, jvp, create_graph, module) are independent oracles for the engine: in
float64 they agree to rounding; in float32 the engine's fused CPU path (numba tanh) must still agree
with the float64 loop to 1e-5.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from losstopo.landscape import grid_losses, random_directions, uniform_axes
from losstopo.problems.convection import ConvectionConfig, ConvectionPINN
from losstopo.problems.mlp import MLP, _tanh_layer

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "landscape.py"


def _bench():
    spec = importlib.util.spec_from_file_location("landscape_benchmark", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module's annotations through it
    spec.loader.exec_module(module)
    return module


def _grid(steps: int = 5) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    axes = uniform_axes(2, 1.0, steps)
    return axes, np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)


def test_loops_match_the_engine():
    bench = _bench()
    config = ConvectionConfig(beta=5.0, hidden=(8, 8), n_x=16, n_t=8, n_f=20, dtype=torch.float64)
    pinn = ConvectionPINN(config)
    theta0 = pinn.init(0)
    dirs = random_directions(theta0, pinn.spec, 2, seed=0)
    axes, coords = _grid()
    engine = grid_losses(pinn, theta0, dirs, axes, chunk=8).loss.ravel()
    for loop in (bench.fair_loop, bench.jvp_loop, bench.create_graph_loop):
        np.testing.assert_allclose(loop(pinn, theta0, dirs.vectors, coords), engine, rtol=1e-10,
                                   err_msg=loop.__name__)

    mlp = bench.regression_problem()
    theta0 = mlp.init(0)
    dirs = random_directions(theta0, mlp.spec, 2, seed=0)
    engine = grid_losses(mlp, theta0, dirs, axes, chunk=8).loss.ravel()
    np.testing.assert_allclose(bench.module_loop(mlp, theta0, dirs.vectors, coords), engine, rtol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])  # numba's serial passes and its threaded ones
def test_float32_engine_matches_the_float64_fair_loop(threads):
    """The fused CPU float32 path (three hidden layers, a last chunk of another size) against autograd."""
    torch.set_num_threads(threads)
    bench = _bench()
    config = ConvectionConfig(beta=30.0, hidden=(16, 16, 16), n_x=32, n_t=12, n_f=50)
    pinn32 = ConvectionPINN(config)
    pinn64 = ConvectionPINN(dataclasses.replace(config, dtype=torch.float64))
    theta0 = pinn32.init(0)
    dirs = random_directions(theta0, pinn32.spec, 2, seed=0)
    axes, coords = _grid(7)
    engine = grid_losses(pinn32, theta0, dirs, axes, chunk=10, device="cpu").loss.ravel()
    oracle = bench.fair_loop(pinn64, theta0.double(), dirs.vectors.double(), coords)
    np.testing.assert_allclose(engine, oracle, rtol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])  # the serial pass and numba's threaded one
def test_tanh_layer_matches_torch_tanh(threads):
    """tanh on value rows (within 4 float32 ulp of 1, NaN kept), (1 - y^2) g on tangent rows, the bias row."""
    torch.set_num_threads(threads)
    special = torch.tensor([0.0, 1e-30, -1e-4, 7.9, 9.0, -20.0, torch.inf, -torch.inf, torch.nan, 0.3, -2, 5])
    normal = torch.randn(2, 3, 36, generator=torch.Generator().manual_seed(0)) * 4
    g = torch.cat([normal[:, :, :18], special.expand(2, 3, -1), normal[:, :, 18:]], dim=2)  # [2, 3, 48]
    n = 30  # value rows 0..29; tangent rows 30..47 go with value rows 0..17
    act = torch.full((2, 4, 48), -7.0)
    _tanh_layer(g.numpy(), act.numpy(), n)
    y = torch.tanh(g[:, :, :n].double())
    finite = ~torch.isnan(y)
    assert torch.equal(torch.isnan(act[:, :3, :n]), ~finite)
    err = (act[:, :3, :n].double() - y).abs()[finite]
    assert err.max() <= 4 * torch.finfo(torch.float32).eps
    tangent = (1 - act[:, :3, : 48 - n].double() ** 2) * g[:, :, n:]  # the chain rule through its own tanh
    torch.testing.assert_close(act[:, :3, n:].double(), tangent, rtol=1e-6, atol=1e-7)
    assert torch.equal(act[:, 3], torch.cat([torch.ones(n), torch.zeros(48 - n)]).expand(2, -1))


def test_pinn_flops_are_the_network_multiply_adds():
    """The FLOP count equals torch's counter on a module forward: all rows, plus tangents after layer 1."""
    pinn = ConvectionPINN(ConvectionConfig(hidden=(7, 5), n_x=9, n_t=4, n_f=6))
    net = MLP(pinn.widths).to(pinn.inputs.dtype)  # whatever default dtype earlier tests left
    with FlopCounterMode(display=False) as values:
        net(pinn.inputs)
    with FlopCounterMode(display=False) as tangents:
        hidden = torch.zeros(pinn.config.n_f, pinn.widths[1], dtype=pinn.inputs.dtype)
        for layer in net.layers[1:]:
            hidden = layer(hidden)
    assert _bench().pinn_flops(pinn) == pytest.approx(values.get_total_flops() + tangents.get_total_flops())

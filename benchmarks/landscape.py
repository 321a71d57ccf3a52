"""Landscape engine vs the per-point loop of loss-landscapes / landscaper, measured side by side.

Cases (issue 4): the convection PINN (beta=30, n_f=1000) on a 51x51 grid and a ~5k-parameter MLP
regression on a 41x41 grid. Per case, in interleaved rounds (so drifting load hits every method alike):
(a) the loop: copy theta0 + a d into an nn.Module in place, evaluate, repeat (the PINN loop takes its
input derivatives by autograd per point, as the reference PINN code does); (b) `grid_losses`, whose
PINN forward is `problems.mlp.batched_mlp` (one bmm per layer, sigmoid-form tanh, reused buffers).
Prints medians, the ratio loop / engine, points per second and achieved
GFLOP/s against an fp32 matmul peak measured in the same run.

    .venv/bin/python benchmarks/landscape.py [--repeats 3] [--threads N] [--memory-mb 64]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from losstopo.landscape import grid_losses, plan_chunk, random_directions, uniform_axes
from losstopo.problems.base import ParamSpec
from losstopo.problems.convection import ConvectionConfig, ConvectionPINN
from losstopo.problems.mlp import MLP
from losstopo.problems.module import ModuleProblem


def copy_into(module: nn.Module, spec: ParamSpec, theta: Tensor) -> None:
    """The loop's weight update: write a flat vector into the module's parameters in place."""
    with torch.no_grad():
        for param, block in zip(module.parameters(), spec.blocks):
            param.copy_(theta[block.offset : block.stop].view(block.shape))


def pinn_loop(problem: ConvectionPINN, theta0: Tensor, dirs: Tensor, coords: np.ndarray) -> np.ndarray:
    """Per point: copy weights into an MLP, u_t and u_x by autograd (as the reference PINN code)."""
    c = problem.config
    net = MLP(problem.widths).to(c.dtype)
    for p in net.parameters():
        p.requires_grad_(False)
    x_f, t_f = problem.inputs[: c.n_f, :1], problem.inputs[: c.n_f, 1:]
    x_ic = problem.inputs[c.n_f : c.n_f + c.n_x]
    x_lb = problem.inputs[c.n_f + c.n_x : c.n_f + c.n_x + c.n_t]
    x_ub = problem.inputs[c.n_f + c.n_x + c.n_t :]
    out = np.empty(len(coords))
    for k, a in enumerate(torch.as_tensor(coords, dtype=c.dtype)):
        copy_into(net, problem.spec, theta0 + a @ dirs)
        x, t = x_f.clone().requires_grad_(True), t_f.clone().requires_grad_(True)
        u = net(torch.cat([x, t], dim=1))
        u_t = torch.autograd.grad(u, t, torch.ones_like(u), retain_graph=True, create_graph=True)[0]
        u_x = torch.autograd.grad(u, x, torch.ones_like(u), retain_graph=True, create_graph=True)[0]
        residual = u_t + c.beta * u_x
        loss_ic = ((net(x_ic)[:, 0] - problem.u0) ** 2).mean()
        loss_bc = ((net(x_lb) - net(x_ub)) ** 2).mean()
        out[k] = float((loss_ic + loss_bc + c.c_r * (residual**2).mean()).detach())
    return out


def module_loop(problem: ModuleProblem, theta0: Tensor, dirs: Tensor, coords: np.ndarray) -> np.ndarray:
    """Per point: copy weights into the module in place, evaluate the loss over its batches."""
    net = problem.make_module().to(problem.dtype).eval()
    out = np.empty(len(coords))
    with torch.no_grad():
        for k, a in enumerate(torch.as_tensor(coords, dtype=problem.dtype)):
            copy_into(net, problem.spec, theta0 + a @ dirs)
            total = sum(problem.sample_loss(net(x), y).sum() for x, y in problem.batches)
            out[k] = float(total / problem.n_samples)
    return out


def matmul_peak(repeats: int, n: int = 2048) -> float:
    """fp32 GFLOP/s of a large square matmul (the best of `repeats`), the roofline of this run."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def pinn_flops(problem: ConvectionPINN) -> float:
    """Multiply-add FLOPs of one grid point: value rows in every layer, tangent rows after the first."""
    c = problem.config
    n_values = problem.inputs.shape[0]
    widths = problem.widths
    flops = 2 * n_values * widths[0] * widths[1]
    for a, b in zip(widths[1:-1], widths[2:]):
        flops += 2 * (n_values + c.n_f) * a * b
    return float(flops)


def regression_problem() -> ModuleProblem:
    """8 -> 64 -> 64 -> 1 tanh MLP (4,801 parameters) regressing a smooth function of 512 points."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = torch.sin(x @ torch.linspace(-1, 1, 8)).unsqueeze(1)
    make = lambda: nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    return ModuleProblem(make, [(x, y)], loss="mse", dtype=torch.float32)


def run_case(
    name: str,
    methods: dict[str, Callable[[], np.ndarray]],
    n_points: int,
    flops: float,
    peak: float,
    repeats: int,
) -> None:
    """Time the methods in interleaved rounds, check they agree, and print one table row each."""
    times: dict[str, list[float]] = {m: [] for m in methods}
    values: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for method, fn in methods.items():
            start = time.perf_counter()
            values[method] = fn()
            times[method].append(time.perf_counter() - start)
    reference = next(iter(values.values()))
    loop_time = statistics.median(next(iter(times.values())))
    print(f"\n{name}: {n_points} points, {flops / 1e6:.1f} MFLOP per point")
    print(f"  {'method':<34}{'median s':>9}{'runs (s)':>22}{'loop/this':>10}{'points/s':>10}"
          f"{'GFLOP/s':>9}{'of peak':>8}{'max rel dev':>12}")
    for method, ts in times.items():
        t = statistics.median(ts)
        dev = np.max(np.abs(values[method] - reference) / np.abs(reference))
        runs = " ".join(f"{v:.2f}" for v in ts)
        print(f"  {method:<34}{t:9.2f}{runs:>22}{loop_time / t:10.2f}{n_points / t:10.0f}"
              f"{flops * n_points / t / 1e9:9.1f}{flops * n_points / t / 1e9 / peak:8.1%}{dev:12.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads (default: all cores)")
    parser.add_argument("--memory-mb", type=float, default=64.0, help="chunk memory budget of the engine")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    peak = matmul_peak(5)
    print(f"torch {torch.__version__}, {args.threads} thread(s), fp32 matmul peak {peak:.1f} GFLOP/s, "
          f"chunk memory budget {args.memory_mb:g} MB, medians of {args.repeats} interleaved runs")

    pinn = ConvectionPINN(ConvectionConfig(beta=30, n_f=1000))
    theta0 = pinn.init(0)
    dirs = random_directions(theta0, pinn.spec, 2, "filter", seed=0)
    axes = uniform_axes(2, 1.0, 51)
    coords = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    chunk = plan_chunk(pinn, theta0, dirs.vectors, args.memory_mb, len(coords))
    print(f"\nPINN chunk from the budget: {chunk}")
    run_case("PINN convection beta=30, n_f=1000, 51x51", {
        "(a) loop, autograd per point": lambda: pinn_loop(pinn, theta0, dirs.vectors, coords),
        "(b) engine, batched_mlp": lambda: grid_losses(
            pinn, theta0, dirs, axes, chunk=chunk, device="cpu").loss.ravel(),
    }, len(coords), pinn_flops(pinn), peak, args.repeats)

    mlp = regression_problem()
    theta0 = mlp.init(0)
    dirs = random_directions(theta0, mlp.spec, 2, "filter", seed=0)
    axes = uniform_axes(2, 1.0, 41)
    coords = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    chunk = plan_chunk(mlp, theta0, dirs.vectors, args.memory_mb, len(coords))
    print(f"\nMLP regression: {mlp.spec.size} parameters, chunk from the budget {chunk}")
    run_case("MLP regression 8-64-64-1, 512 samples, 41x41", {
        "(a) loop, module per point": lambda: module_loop(mlp, theta0, dirs.vectors, coords),
        "(b) engine, vmap(functional_call)": lambda: grid_losses(
            mlp, theta0, dirs, axes, chunk=chunk, device="cpu").loss.ravel(),
    }, len(coords), 2.0 * 512 * (8 * 64 + 64 * 64 + 64), peak, args.repeats)


if __name__ == "__main__":
    main()

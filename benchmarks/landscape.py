"""Landscape engine vs per-point loops (what loss-landscapes / landscaper users write), side by side.

Cases (issue 4): the convection PINN (beta=30, n_f=1000) on a 51x51 grid and a ~5k-parameter MLP
regression on a 41x41 grid. Per case, in interleaved rounds (so drifting load hits every method
alike), each method computes the whole landscape:
  fair loop (the baseline)  per point: copy theta0 + a d into an nn.Module whose parameters are frozen,
                            u_x and u_t by one autograd.grad w.r.t. the collocation inputs (no
                            create_graph), the other terms under no_grad: what a user would write;
  jvp loop                  the same with u and its derivative along (beta, 1) by one forward-mode
                            torch.func.jvp, under no_grad;
  create_graph loop         the reference PINN code's training-style input derivatives
                            (create_graph=True, three forwards), which a landscape does not need;
  engine                    `grid_losses`, whose PINN forward is `problems.mlp.batched_mlp` (one bmm
                            per layer; on CPU in float32 tanh and tangent in one numba pass).
With CUDA available the fair loop and the engine also run on the GPU (same table, own peak).
Prints medians, each loop's time over the engine's (loop/engine), points per second and the achieved
GFLOP/s of the network's multiply-adds against an fp32 matmul peak measured in the same run.

    .venv/bin/python benchmarks/landscape.py [--repeats 3] [--threads 2] [--memory-mb 64]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

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


def frozen_mlp(problem: ConvectionPINN, device: torch.device) -> MLP:
    """The PINN's network as a module whose parameters take no gradient (the loop's own no-grad)."""
    net = MLP(problem.widths).to(device, problem.config.dtype)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def pinn_total(problem: ConvectionPINN, u_rest: Tensor, residual: Tensor) -> float:
    """L_ic + L_bc + c_r L_r from u on the initial, lower and upper points (in order) and the residual."""
    c = problem.config
    u_ic, u_lower, u_upper = u_rest[: c.n_x], u_rest[c.n_x : c.n_x + c.n_t], u_rest[c.n_x + c.n_t :]
    loss_ic = ((u_ic - problem.u0.to(u_rest.device)) ** 2).mean()
    loss_bc = ((u_lower - u_upper) ** 2).mean()
    return float(loss_ic + loss_bc + c.c_r * (residual**2).mean())


def fair_loop(problem: ConvectionPINN, theta0: Tensor, dirs: Tensor, coords: np.ndarray) -> np.ndarray:
    """Per point: copy weights, u_x and u_t by one autograd.grad w.r.t. the inputs, the rest without grad."""
    c, device = problem.config, theta0.device
    net = frozen_mlp(problem, device)
    x_f = problem.inputs[: c.n_f].to(device).requires_grad_(True)
    rest = problem.inputs[c.n_f :].to(device)
    out = np.empty(len(coords))
    for k, a in enumerate(torch.as_tensor(coords, dtype=c.dtype, device=device)):
        copy_into(net, problem.spec, theta0 + a @ dirs)
        du = torch.autograd.grad(net(x_f).sum(), x_f)[0]
        with torch.no_grad():
            out[k] = pinn_total(problem, net(rest)[:, 0], du[:, 1] + c.beta * du[:, 0])
    return out


def jvp_loop(problem: ConvectionPINN, theta0: Tensor, dirs: Tensor, coords: np.ndarray) -> np.ndarray:
    """Per point: copy weights, u and du along (beta, 1) by one forward-mode jvp, the rest plainly."""
    c, device = problem.config, theta0.device
    net = frozen_mlp(problem, device)
    x_f, rest = problem.inputs[: c.n_f].to(device), problem.inputs[c.n_f :].to(device)
    tangent = problem.direction.to(device).expand(c.n_f, -1)
    out = np.empty(len(coords))
    with torch.no_grad():
        for k, a in enumerate(torch.as_tensor(coords, dtype=c.dtype, device=device)):
            copy_into(net, problem.spec, theta0 + a @ dirs)
            _, du = torch.func.jvp(net, (x_f,), (tangent,))
            out[k] = pinn_total(problem, net(rest)[:, 0], du[:, 0])
    return out


def create_graph_loop(problem: ConvectionPINN, theta0: Tensor, dirs: Tensor,
                      coords: np.ndarray) -> np.ndarray:
    """Per point, as the reference PINN code trains: u_t, u_x with create_graph=True, three forwards."""
    c = problem.config
    net = frozen_mlp(problem, theta0.device)
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


def matmul_peak(device: torch.device, repeats: int = 5) -> float:
    """fp32 GFLOP/s of a large square matmul on `device` (the best of `repeats`), the roofline of this run."""
    n = 8192 if device.type == "cuda" else 2048
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    best = float("inf")
    for _ in range(repeats + 1):
        torch.cuda.synchronize() if device.type == "cuda" else None
        start = time.perf_counter()
        a @ b
        torch.cuda.synchronize() if device.type == "cuda" else None
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


@dataclass(frozen=True)
class Method:
    """One contender: computes the landscape's loss values on `device`; `engine` marks the reference row."""

    fn: Callable[[], np.ndarray]
    device: str = "cpu"
    engine: bool = False


def run_case(name: str, methods: dict[str, Method], n_points: int, flops: float, peaks: dict[str, float],
             repeats: int) -> None:
    """Time the methods in interleaved rounds, check they agree, print one row each and the ratios."""
    times: dict[str, list[float]] = {m: [] for m in methods}
    values: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for label, method in methods.items():
            start = time.perf_counter()
            values[label] = method.fn()
            times[label].append(time.perf_counter() - start)
    medians = {label: statistics.median(ts) for label, ts in times.items()}
    engine = {m.device: medians[label] for label, m in methods.items() if m.engine}
    baseline = next(iter(values.values()))
    print(f"\n{name}: {n_points} points, {flops / 1e6:.1f} MFLOP per point (the network's multiply-adds)")
    width = max(len(" ".join(f"{v:.2f}" for v in runs)) for runs in times.values()) + 2
    print(f"  {'method':<36}{'device':>7}{'median s':>9}{'runs (s)':>{width}}{'loop/engine':>12}{'points/s':>10}"
          f"{'GFLOP/s':>9}{'of peak':>8}{'max rel dev':>12}")
    for label, method in methods.items():
        t = medians[label]
        rate = flops * n_points / t / 1e9
        dev = np.max(np.abs(values[label] - baseline) / np.abs(baseline))
        runs = " ".join(f"{v:.2f}" for v in times[label])
        print(f"  {label:<36}{method.device:>7}{t:9.2f}{runs:>{width}}{t / engine[method.device]:12.2f}"
              f"{n_points / t:10.0f}{rate:9.1f}{rate / peaks[method.device]:8.1%}{dev:12.1e}")
    for label, method in methods.items():
        if method.engine:
            loops = [f"{t / medians[label]:.2f}x the {other}" for other, m in methods.items()
                     if m.device == method.device and not m.engine for t in [medians[other]]]
            share = flops * n_points / medians[label] / 1e9 / peaks[method.device]
            device = method.device
            print(f"  {device} engine: {', '.join(loops)}; {share:.1%} of the {device} fp32 peak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch threads on the CPU")
    parser.add_argument("--memory-mb", type=float, default=64.0, help="chunk memory budget of the CPU engine")
    parser.add_argument("--cuda-memory-mb", type=float, default=1024.0, help="the same on CUDA")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    peaks = {"cpu": matmul_peak(cpu)}
    if torch.cuda.is_available():
        peaks["cuda"] = matmul_peak(cuda)
    print(f"torch {torch.__version__}, {args.threads} CPU thread(s), fp32 matmul peak "
          + ", ".join(f"{d} {p:.1f} GFLOP/s" for d, p in peaks.items())
          + f"; medians of {args.repeats} interleaved runs")

    pinn = ConvectionPINN(ConvectionConfig(beta=30, n_f=1000))
    theta0 = pinn.init(0)
    dirs = random_directions(theta0, pinn.spec, 2, "filter", seed=0)
    axes = uniform_axes(2, 1.0, 51)
    coords = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    chunk = plan_chunk(pinn, theta0, dirs.vectors, args.memory_mb, len(coords))
    print(f"\nPINN chunk from the {args.memory_mb:g} MB budget: {chunk}")
    methods = {
        "fair loop, autograd.grad (baseline)": Method(lambda: fair_loop(pinn, theta0, dirs.vectors, coords)),
        "jvp loop, torch.func.jvp": Method(lambda: jvp_loop(pinn, theta0, dirs.vectors, coords)),
        "create_graph loop (training-style)": Method(
            lambda: create_graph_loop(pinn, theta0, dirs.vectors, coords)),
        "engine, batched_mlp": Method(lambda: grid_losses(pinn, theta0, dirs, axes, chunk=chunk,
                                                          device=cpu).loss.ravel(), engine=True),
    }
    if torch.cuda.is_available():
        gpu_theta, gpu_dirs = theta0.to(cuda), dirs.vectors.to(cuda)
        gpu_chunk = plan_chunk(pinn, gpu_theta, gpu_dirs, args.cuda_memory_mb, len(coords))
        print(f"PINN chunk from the {args.cuda_memory_mb:g} MB CUDA budget: {gpu_chunk}")
        methods["fair loop on CUDA"] = Method(lambda: fair_loop(pinn, gpu_theta, gpu_dirs, coords), "cuda")
        methods["engine on CUDA"] = Method(lambda: grid_losses(pinn, theta0, dirs, axes, chunk=gpu_chunk,
                                                               device=cuda).loss.ravel(), "cuda", True)
    run_case("PINN convection beta=30, n_f=1000, 51x51", methods, len(coords), pinn_flops(pinn), peaks,
             args.repeats)

    mlp = regression_problem()
    theta0 = mlp.init(0)
    dirs = random_directions(theta0, mlp.spec, 2, "filter", seed=0)
    axes = uniform_axes(2, 1.0, 41)
    coords = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    chunk = plan_chunk(mlp, theta0, dirs.vectors, args.memory_mb, len(coords))
    print(f"\nMLP regression: {mlp.spec.size} parameters, chunk from the budget {chunk}")
    run_case("MLP regression 8-64-64-1, 512 samples, 41x41", {
        "loop, module per point": Method(lambda: module_loop(mlp, theta0, dirs.vectors, coords)),
        "engine, vmap(functional_call)": Method(lambda: grid_losses(
            mlp, theta0, dirs, axes, chunk=chunk, device=cpu).loss.ravel(), engine=True),
    }, len(coords), 2.0 * 512 * (8 * 64 + 64 * 64 + 64), peaks, args.repeats)


if __name__ == "__main__":
    main()

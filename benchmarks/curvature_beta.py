"""Benchmark: what the convection PINN's Hessian curvature tracks over beta (issue 16, item 5).

    .venv/bin/python benchmarks/curvature_beta.py [--config config/config.yaml] [--n-f 100 1000]
        [--betas 1 ... 10] [--seeds 0 1] [--out results/benchmarks/curvature_beta] [--dense 100,1,0 1000,10,0]

Trains one PINN per (n_f, beta, seed) exactly as the workflow's `train_pinn` rule does (the config's
`pinn` section: network, grid, optimiser, iterations; `data_seed` = seed), then computes its top-k
Hessian eigenvalues and deflated Hutchinson trace exactly as the `hessian` rule does (the config's
`hessian` section, float64). One row per model is appended to `<out>/models.csv` as soon as it is done
(a rerun skips the rows already there), and each final vector is saved under `<out>/models/`.
At the end it prints the table, the Spearman rho of the top eigenvalue and the trace with beta and with
the final training loss (per n_f), and checks the `--dense` models' top eigenvalue and trace against
the dense float64 Hessian built column by column from HVPs of the unit basis.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from losstopo.config import load_config
from losstopo.hessian import HessianOperator, hutchinson_trace, top_eigen
from losstopo.problems.registry import make_problem
from losstopo.training.optimize import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ["n_f", "beta", "seed", "rel_l2_error", "mean_abs_error", "loss", "loss_ic", "loss_bc", "loss_r",
          "iterations", "converged", "top_eigenvalue", "eigenvalues", "eigen_converged", "trace",
          "trace_stderr", "trace_samples", "n_hvp", "train_seconds", "hessian_seconds"]
PAIRS = [("top_eigenvalue", "beta"), ("trace", "beta"), ("top_eigenvalue", "loss"), ("trace", "loss"),
         ("rel_l2_error", "beta"), ("loss", "beta"), ("top_eigenvalue", "rel_l2_error"),
         ("trace", "rel_l2_error")]


def problem_spec(pinn: dict, n_f: int, beta: float, seed: int) -> dict:
    """The problem spec the workflow's `train_pinn` rule builds (workflow/rules/pinn.smk), at this n_f."""
    return {"name": "convection", "beta": float(beta), "c_r": pinn["c_r"], "hidden": list(pinn["hidden"]),
            "n_x": pinn["n_x"], "n_t": pinn["n_t"], "n_f": n_f, "data_seed": seed}


def model_path(out: Path, n_f: int, beta: float, seed: int) -> Path:
    return out / "models" / f"nf{n_f}_beta{beta:g}_seed{seed}.pt"


def run_model(config: dict, out: Path, n_f: int, beta: float, seed: int, lr: float) -> dict:
    """Train one PINN (float32, as the workflow) and measure its curvature (float64, as the workflow)."""
    pinn, h = config["pinn"], config["hessian"]
    spec = problem_spec(pinn, n_f, beta, seed)
    problem = make_problem(spec)
    train_config = TrainConfig(optimizer=pinn["optimizer"], lr=lr,
                               iterations=pinn["iterations"], checkpoint_every=pinn["checkpoint_every"])
    result = train(problem, problem.init(seed), train_config, progress=False)
    metrics = problem.evaluate(result.theta)
    path = model_path(out, n_f, beta, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"theta": result.theta, "spec": spec}, path)

    start = time.perf_counter()
    problem64 = make_problem({**spec, "dtype": h["dtype"]})
    op = HessianOperator(problem64, result.theta.to(problem64.config.dtype))
    eig = top_eigen(op, h["top_k"], tol=h["tol"], max_iter=h["max_iter"], seed=h["seed"])
    trace = hutchinson_trace(op, rtol=h["trace_rtol"], max_samples=h["trace_max_samples"],
                             min_samples=min(10, h["trace_max_samples"]), seed=h["seed"], deflate=eig)
    return {
        "n_f": n_f, "beta": beta, "seed": seed,
        **{k: metrics[k] for k in ("rel_l2_error", "mean_abs_error", "loss", "loss_ic", "loss_bc", "loss_r")},
        "iterations": result.steps[-1], "converged": result.converged,
        "top_eigenvalue": float(eig.eigenvalues[0]),
        "eigenvalues": " ".join(f"{v:.6g}" for v in eig.eigenvalues.tolist()),
        "eigen_converged": eig.converged, "trace": trace.mean, "trace_stderr": trace.stderr,
        "trace_samples": trace.n_samples, "n_hvp": op.n_hvp, "train_seconds": round(result.seconds, 1),
        "hessian_seconds": round(time.perf_counter() - start, 1),
    }


def read_rows(path: Path) -> list[dict]:
    """The rows written so far, numbers parsed."""
    if not path.exists():
        return []
    with path.open() as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            if key not in ("eigenvalues", "converged", "eigen_converged"):
                row[key] = float(value)
    return rows


def format_table(rows: list[dict]) -> str:
    """One line per model: what the doc's table shows."""
    head = (f"{'n_f':>5} {'beta':>4} {'seed':>4} {'rel L2':>8} {'loss':>9} {'iters':>5} "
            f"{'lambda_1':>10} {'trace':>10} {'+-':>8}")
    lines = [head]
    for r in sorted(rows, key=lambda r: (r["n_f"], r["beta"], r["seed"])):
        lines.append(f"{r['n_f']:5.0f} {r['beta']:4.0f} {r['seed']:4.0f} {r['rel_l2_error']:8.4f} "
                     f"{r['loss']:9.2e} {r['iterations']:5.0f} {r['top_eigenvalue']:10.4g} "
                     f"{r['trace']:10.4g} "
                     f"{r['trace_stderr']:8.2g}")
    return "\n".join(lines)


def correlations(rows: list[dict]) -> str:
    """Spearman rho (and p-value) of each pair in PAIRS, per n_f."""
    lines = [f"{'n_f':>5} {'x':>15} {'y':>13} {'rho':>6} {'p':>8} {'n':>3}"]
    for n_f in sorted({r["n_f"] for r in rows}):
        group = [r for r in rows if r["n_f"] == n_f]
        for x, y in PAIRS:
            rho, p = spearmanr([r[x] for r in group], [r[y] for r in group])
            lines.append(f"{n_f:5.0f} {x:>15} {y:>13} {rho:6.2f} {p:8.2g} {len(group):3d}")
    return "\n".join(lines)


def failure_onset(rows: list[dict], threshold: float) -> str:
    """Mean rel. L2 error per beta and n_f, and the first beta whose every seed errs above `threshold`."""
    lines = []
    for n_f in sorted({r["n_f"] for r in rows}):
        group = [r for r in rows if r["n_f"] == n_f]
        betas = sorted({r["beta"] for r in group})
        errors = {b: [r["rel_l2_error"] for r in group if r["beta"] == b] for b in betas}
        means = " ".join(f"{b:g}:{np.mean(e):.3f}" for b, e in errors.items())
        failed = [b for b, e in errors.items() if min(e) > threshold]
        lines.append(f"n_f {n_f:g}: mean rel. L2 error per beta {means}; "
                     f"first beta with every seed > {threshold:g}: {failed[0] if failed else 'none'}")
    return "\n".join(lines)


def dense_hessian(op: HessianOperator) -> torch.Tensor:
    """The dense Hessian from P HVPs of the unit basis, symmetrised (its asymmetry is reported)."""
    eye = torch.eye(op.size, dtype=op.dtype)
    h = torch.stack([op(eye[i]) for i in range(op.size)])
    asym = float((h - h.T).abs().max() / h.abs().max())
    print(f"  dense Hessian {op.size}x{op.size}: max |H - H^T| / max |H| = {asym:.2e}", flush=True)
    return (h + h.T) / 2


def dense_check(config: dict, out: Path, rows: list[dict], which: str) -> str:
    """One model's top-k eigenvalues and trace: the engine's (from the CSV) against the dense Hessian."""
    n_f, beta, seed = (float(x) for x in which.split(","))
    row = next(r for r in rows if (r["n_f"], r["beta"], r["seed"]) == (n_f, beta, seed))
    saved = torch.load(model_path(out, int(n_f), beta, int(seed)))
    problem = make_problem({**saved["spec"], "dtype": config["hessian"]["dtype"]})
    start = time.perf_counter()
    h = dense_hessian(HessianOperator(problem, saved["theta"].to(problem.config.dtype)))
    values = torch.linalg.eigvalsh(h).flip(0)
    ours = [float(v) for v in row["eigenvalues"].split()]
    exact, trace = values[: len(ours)].tolist(), float(h.trace())
    rel = [abs(a - b) / abs(b) for a, b in zip(ours, exact)]
    return (f"n_f {n_f:g} beta {beta:g} seed {seed:g} ({time.perf_counter() - start:.0f} s): "
            f"top-{len(ours)} engine {ours} dense {[float(f'{v:.6g}') for v in exact]} (max rel. diff "
            f"{max(rel):.1e}); trace engine {row['trace']:.6g} +- {row['trace_stderr']:.3g}, "
            f"dense {trace:.6g} "
            f"(diff {abs(row['trace'] - trace) / row['trace_stderr']:.2f} s.e., "
            f"{abs(row['trace'] - trace) / abs(trace):.1e} rel.); "
            f"smallest eigenvalue {float(values[-1]):.4g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--n-f", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--betas", type=float, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--iterations", type=int, help="override the config's pinn.iterations")
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmarks" / "curvature_beta"))
    parser.add_argument("--dense", nargs="*", default=["100,1,0", "1000,10,0"], help="n_f,beta,seed")
    parser.add_argument("--failure-threshold", type=float, default=0.5,
                        help="rel. L2 error of a failed model")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = load_config(args.config)
    if args.iterations is not None:
        config["pinn"]["iterations"] = args.iterations
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "models.csv"
    done = {(r["n_f"], r["beta"], r["seed"]) for r in read_rows(csv_path)}
    print(f"torch {torch.__version__}, {args.threads} thread(s); config {args.config}; lr {args.lr:g}, "
          f"{config['pinn']['iterations']} iterations; rows in {csv_path}")
    # Seeds outermost: a run stopped early still covers every beta and n_f at the first seed.
    for seed in args.seeds:
        for beta in args.betas:
            for n_f in args.n_f:
                if (n_f, beta, seed) in done:
                    continue
                row = run_model(config, out, n_f, beta, seed, args.lr)
                new = not csv_path.exists()
                with csv_path.open("a", newline="") as f:
                    writer = csv.DictWriter(f, FIELDS)
                    if new:
                        writer.writeheader()
                    writer.writerow(row)
                print(f"n_f {n_f} beta {beta:g} seed {seed}: rel L2 {row['rel_l2_error']:.4f} loss "
                      f"{row['loss']:.3e} lambda_1 {row['top_eigenvalue']:.5g} trace {row['trace']:.5g} "
                      f"({row['train_seconds']} s + {row['hessian_seconds']} s)", flush=True)
    rows = read_rows(csv_path)
    print("\n## Models\n" + format_table(rows))
    print("\n## Spearman rho per n_f\n" + correlations(rows))
    print("\n## Failure onset\n" + failure_onset(rows, args.failure_threshold))
    print("\n## Dense-Hessian check (float64)", flush=True)
    for which in args.dense:
        print(dense_check(config, out, rows, which), flush=True)


if __name__ == "__main__":
    main()

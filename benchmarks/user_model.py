"""`losstopo landscape` on the example CNN vs the per-point loop of loss-landscapes, side by side.

The example CNN (examples/cnn.py) trained for three epochs, a 41 x 41 random-direction landscape on
its 96 evaluation images. In interleaved rounds (drifting load hits all alike), medians of `--repeats`:
(a) the loss-landscapes loop: per grid point deepcopy the model, load theta0 + a d1 + b d2 into it
(`vector_to_parameters`), evaluate the loss over the batches; (b) the whole CLI command
`losstopo landscape --kind random --steps 41` (checkpoint import, grid, .npz/.vti/.png files);
(c) the same with `--no-plots` (no .png: matplotlib's 3-D surface costs ~1 s); (d) the grid evaluation
alone (`api.compute_landscape`). Prints the ratios of the loop to each.

    .venv/bin/python benchmarks/user_model.py [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from cnn import eval_batches, make_model  # noqa: E402
from train import train  # noqa: E402

from losstopo import api, artifacts  # noqa: E402
from losstopo.cli import main as cli  # noqa: E402
from losstopo.settings import LandscapeSettings  # noqa: E402

STEPS = 41


def loop_landscape(
    model: nn.Module, batches, theta0: torch.Tensor, dirs: torch.Tensor, axes: tuple[np.ndarray, ...]
) -> np.ndarray:
    """loss-landscapes style: a deep copy of the model per point, perturbed weights loaded, evaluated."""
    out = np.empty((len(axes[0]), len(axes[1])))
    n = sum(len(y) for _, y in batches)
    with torch.no_grad():
        for i, a in enumerate(axes[0]):
            for j, b in enumerate(axes[1]):
                point = copy.deepcopy(model)
                nn.utils.vector_to_parameters(theta0 + a * dirs[0] + b * dirs[1], point.parameters())
                total = sum(nn.functional.cross_entropy(point(x), y, reduction="sum") for x, y in batches)
                out[i, j] = float(total) / n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="losstopo_bench_"))
    checkpoint = train(work / "ckpt", epochs=3)[-1]
    options = [
        "--module",
        f"{ROOT}/examples/cnn.py:make_model",
        "--batches",
        f"{ROOT}/examples/cnn.py:eval_batches",
        "--loss",
        "cross_entropy",
        "--checkpoint",
        str(checkpoint),
        "--kind",
        "random",
        "--steps",
        str(STEPS),
        "--device",
        "cpu",
        "--quiet",
    ]
    assert cli(["landscape", *options, "--out", str(work / "warm")]) == 0
    problem, theta, spec = artifacts.load_problem(work / "warm" / "model.pt", "float32")
    job = LandscapeSettings().job("random", 2) | {"steps": STEPS}
    model = make_model()
    model.load_state_dict(torch.load(checkpoint))
    batches = eval_batches()

    times: dict[str, list[float]] = {"loop": [], "cli": [], "cli_noplot": [], "grid": []}
    for r in range(args.repeats):
        start = time.perf_counter()
        assert cli(["landscape", *options, "--out", str(work / f"cli{r}")]) == 0
        times["cli"].append(time.perf_counter() - start)
        start = time.perf_counter()
        assert cli(["landscape", *options, "--no-plots", "--out", str(work / f"noplot{r}")]) == 0
        times["cli_noplot"].append(time.perf_counter() - start)
        start = time.perf_counter()
        report = api.compute_landscape(problem, theta, spec, "random", 2, job, device="cpu")
        times["grid"].append(time.perf_counter() - start)
        start = time.perf_counter()
        loop = loop_landscape(model, batches, theta, report.directions.vectors, report.axes)
        times["loop"].append(time.perf_counter() - start)
    with np.load(work / "cli0" / "landscape_random_2d.npz") as data:
        deviation = float(np.abs(data["loss"] - loop).max() / np.abs(loop).max())
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"example CNN ({theta.numel()} parameters, 96 images), {STEPS}x{STEPS} grid, "
        f"{args.threads} thread(s), "
        f"medians of {args.repeats}"
    )
    for name in times:
        print(
            f"  {name:10s} {med[name]:8.3f} s  {STEPS**2 / med[name]:9.1f} points/s  "
            f"runs {np.round(times[name], 3)}"
        )
    ratios = "   ".join(
        f"loop / {name} = {med['loop'] / med[name]:.1f}x" for name in ("cli", "cli_noplot", "grid")
    )
    print(f"  {ratios}   max rel. difference of the landscapes {deviation:.1e}")


if __name__ == "__main__":
    main()

"""The topology stage of one landscape: merge tree, persistence, metrics, profile, and their files.

Imports no torch, so a topology job starts in about a second. The workflow's `topology` rule, the CLI and
`losstopo.analyze` all call `compute_topology`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from losstopo import artifacts
from losstopo.topology import LandscapeTopology, landscape_topology, save_topology


NAN_METRICS = ("n_minima", "n_saddles", "n_pairs", "avg_persistence", "total_persistence", "max_persistence")


def has_finite_loss(loss: np.ndarray) -> bool:
    return bool(np.isfinite(loss).any())


def save_nonfinite_record(loss: np.ndarray, cfg: dict[str, Any], json_path: str | Path,
                          npz_path: str | Path) -> None:
    """A landscape with no finite loss (a diverged model): NaN metrics and status "no finite loss", so the
    run table marks the row and the correlations skip it."""
    metrics = {name: float("nan") for name in NAN_METRICS}
    artifacts.save_json(json_path, {**metrics, "status": "no finite loss",
                                    "connectivity": cfg["connectivity"], "shape": list(loss.shape),
                                    "n_nonfinite": int(loss.size), "pairs": [], "essential_pairs": []})
    np.savez_compressed(npz_path, status="no finite loss")


def compute_topology(
    loss: np.ndarray, axes: np.ndarray | list[np.ndarray], cfg: dict[str, Any]
) -> LandscapeTopology:
    """Merge tree, persistence, metrics and profile of one landscape; `cfg` is config `topology`."""
    return landscape_topology(
        loss, axes, cfg["connectivity"], int(cfg["k"]), float(cfg["persistence_threshold"])
    )


def save_topology_files(
    topology: LandscapeTopology,
    json_path: str | Path,
    npz_path: str | Path,
    png_path: str | Path | None = None,
) -> None:
    """topology_<kind>_<dim>d.json (metrics, pairs) and .npz (tree, pairs, profile); optionally a figure."""
    artifacts.save_json(json_path, topology.summary())
    save_topology(topology, npz_path)
    if png_path is not None:
        draw_topology(png_path, topology)


def draw_topology(path: str | Path, topology: LandscapeTopology) -> None:
    """Merge tree, persistence diagram and landscape profile side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from losstopo.plots.topology import plot_merge_tree, plot_persistence_diagram, plot_profile

    fig, axs = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    plot_merge_tree(axs[0], topology)
    plot_persistence_diagram(axs[1], topology)
    plot_profile(axs[2], topology)
    fig.savefig(path, dpi=150)
    plt.close(fig)

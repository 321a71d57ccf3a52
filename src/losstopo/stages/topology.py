"""The topology stage of one landscape: merge tree, persistence, metrics, profile, and their data files.

Imports no torch, so a topology job starts in about a second. The workflow's `topology` rule, the CLI and
`losstopo.analyze` all call `compute_topology`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from losstopo import artifacts
from losstopo.topology import LandscapeTopology, landscape_topology, save_topology
from losstopo.topology.smad import SUMMARY_KEYS

NAN_METRICS = ("n_minima", "n_saddles", "n_pairs", "avg_persistence", "total_persistence", "max_persistence",
               *SUMMARY_KEYS)


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
    """Merge tree, persistence, metrics, basins (SMAD) and profile of one landscape; `cfg` is config
    `topology`."""
    return landscape_topology(
        loss, axes, cfg["connectivity"], int(cfg["k"]), float(cfg["persistence_threshold"])
    )


def save_topology_files(topology: LandscapeTopology, json_path: str | Path, npz_path: str | Path) -> None:
    """topology_<kind>_<dim>d.json (metrics, pairs) and .npz (tree, pairs, profile, basins); its figure:
    `losstopo.plots.topology.draw_topology`."""
    artifacts.save_json(json_path, topology.summary())
    save_topology(topology, npz_path)


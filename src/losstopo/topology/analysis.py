"""The topology of one sampled landscape: computed in one call, saved and loaded for figure scripts.

Non-finite losses (NaN, +-inf: failed evaluations) are set to the largest finite loss, a wall at the
top of the landscape that starts no basin and joins basins only at the top level; their number is
kept as `n_nonfinite`.

The .npz holds `shape`, `axes`, `connectivity`, `k`, `n_nonfinite`, the tree as `tree_*` (values,
simplified_values, node_vertex, node_kind, node_parent, node_coords, branch_node, branch_death,
branch_parent, vertex_arc, vertex_branch, persistence_threshold), the pairs as `pairs_*` (birth,
death, birth_vertex, death_vertex, essential) and the profile as `profile_*` (x, y, minima_x,
minima_y, saddles_x, saddles_y), and each basin's minimum, first saddle, gap, size and depth as `basins_*`
(`losstopo.topology.smad`). The .json holds the metrics (the merge tree's and the basins': SMAD and its
variants, n_basins, max_basin_depth, mean_basin_size), the settings and the pairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from losstopo.topology.graph import landscape_graph
from losstopo.topology.merge_tree import MergeTree, fill_nonfinite, merge_tree
from losstopo.topology.persistence import (
    PersistencePairs,
    TopologyMetrics,
    persistence_pairs,
    topology_metrics,
)
from losstopo.topology.profile import LandscapeProfile, landscape_profile
from losstopo.topology.smad import BasinMetrics, basin_metrics


@dataclass(frozen=True)
class LandscapeTopology:
    """Merge tree, persistence pairs, metrics, basins and profile of one landscape, with how they were made."""

    tree: MergeTree
    pairs: PersistencePairs
    profile: LandscapeProfile
    metrics: TopologyMetrics
    basins: BasinMetrics
    connectivity: str
    k: int
    shape: tuple[int, ...]
    axes: np.ndarray
    n_nonfinite: int

    def summary(self) -> dict[str, Any]:
        """Metrics, settings and pairs as plain JSON-ready values."""
        pairs, essential = np.column_stack([self.pairs.birth, self.pairs.death]), self.pairs.essential
        return {
            **asdict(self.metrics),
            **self.basins.summary(),
            "connectivity": self.connectivity,
            "k": self.k,
            "persistence_threshold": self.tree.persistence_threshold,
            "n_vertices": int(self.tree.values.size),
            "n_nonfinite": self.n_nonfinite,
            "shape": list(self.shape),
            "pairs": pairs[~essential].tolist(),
            "essential_pairs": pairs[essential].tolist(),
        }


def landscape_topology(loss: np.ndarray, axes: np.ndarray | list[np.ndarray], connectivity: str = "ttk",
                       k: int = 8, persistence_threshold: float = 0.0) -> LandscapeTopology:
    """Everything the topology stage reports about `loss` sampled on the grid spanned by `axes`."""
    loss = np.asarray(loss)
    axes = [np.asarray(a, dtype=np.float64) for a in axes]
    if loss.shape != tuple(len(a) for a in axes):
        lengths = [len(a) for a in axes]
        raise ValueError(f"loss of shape {loss.shape} does not match axes of lengths {lengths}")
    values, n_nonfinite = fill_nonfinite(loss)
    graph = landscape_graph(axes, connectivity, k)
    tree = merge_tree(values, graph, persistence_threshold)
    pairs = persistence_pairs(tree)
    return LandscapeTopology(tree, pairs, landscape_profile(tree), topology_metrics(pairs),
                             basin_metrics(tree, graph), connectivity, int(k), loss.shape,
                             np.stack(axes) if axes else np.zeros((0, 0)), n_nonfinite)


def save_topology(topology: LandscapeTopology, npz_path: str | Path) -> None:
    """Write the arrays a figure script needs to redraw tree, diagram and profile without recomputing."""
    Path(npz_path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(npz_path, shape=np.asarray(topology.shape), axes=topology.axes,
                        connectivity=np.asarray(topology.connectivity), k=np.asarray(topology.k),
                        n_nonfinite=np.asarray(topology.n_nonfinite), **topology.tree.to_arrays(),
                        **topology.pairs.to_arrays(), **topology.profile.to_arrays(),
                        **topology.basins.to_arrays())


def load_topology(npz_path: str | Path) -> LandscapeTopology:
    """The topology written by `save_topology` (its basins recomputed on the landscape's graph)."""
    try:
        with np.load(npz_path) as data:
            arrays = {name: data[name] for name in data.files}
        pairs, tree = PersistencePairs.from_arrays(arrays), MergeTree.from_arrays(arrays)
        connectivity, k = str(arrays["connectivity"]), int(arrays["k"])
        basins = basin_metrics(tree, landscape_graph(list(arrays["axes"]), connectivity, k))
        return LandscapeTopology(tree, pairs, LandscapeProfile.from_arrays(arrays), topology_metrics(pairs),
                                 basins, connectivity, k, tuple(int(s) for s in arrays["shape"]),
                                 arrays["axes"], int(arrays["n_nonfinite"]))
    except (OSError, KeyError, ValueError) as err:
        message = (f"cannot read topology file {npz_path}: {err!r}; delete it or run again with "
                   f"`--forcerun {npz_path}`")
        raise ValueError(message) from err

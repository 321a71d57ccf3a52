"""Basin metrics of a merge tree: Landscaper's saddle-minimum average distance (SMAD), basin sizes, depths.

SMAD (Chen, Hadler et al., "Landscaper", arXiv 2602.07135) rates how rugged a landscape is. Its
"distance" is a gap in loss, not in parameter space: the reference implementation
(`landscaper.LossLandscape.smad` with `tda.saddle_minima_pairs`) takes every arc of the sub-level merge
tree that joins a minimum to a saddle, that is each minimum's leaf arc up to the first saddle where its
basin meets another one, and averages f(saddle) - f(minimum) over those arcs. These are not the
elder-rule persistence pairs: the global minimum counts too (with the gap to the first saddle above it),
and an older minimum counts with the first saddle it meets, not with the one where it dies. A landscape
with a single minimum has no such arc and a SMAD of 0, as in Landscaper.

- normalised: each gap divided by the landscape's loss range (max - min of the finite losses), as
  Landscaper's `normalize=True`; this makes SMAD free of the loss's units and scale, which a grid
  diameter (in parameter units) would not, the gap being a loss difference.
- weighted: the mean over arcs of gap x |basin| / N, Landscaper's `weighted=True`: |basin| counts the
  vertices whose steepest-descent path ends at the arc's minimum (Landscaper's Morse-Smale unstable
  manifold) and N all vertices. It is a mean of weighted gaps, not a weighted mean (the weights of all
  basins sum to 1, so a landscape of k equal basins scores SMAD / k).

Steepest descent steps from each vertex to its lower neighbour (in the (loss, vertex) order of the
sweep) of largest loss drop per unit of coordinate distance, so anisotropic axes count. A minimum that
the tree's persistence threshold dropped hands its basin to the kept basin that absorbs it. Values
depend on the graph's connectivity (Landscaper uses a beta-skeleton, we use the landscape's own graph).

A basin's depth is the persistence of its branch: the loss of the saddle where it dies minus its
minimum's; the basin of a component's oldest minimum dies at the component's highest (finite) loss.

The scalars the topology JSON reports (`summary`): the four SMADs, `n_basins`, `max_basin_depth` and
`mean_basin_size`. Read them knowing what they are on a connected grid: every minimum starts one basin
(`n_basins` equals `n_minima`), the deepest basin is the global minimum's (`max_basin_depth` is the finite
loss range: how deep the landscape's bowl is, paper P's "basins deepen"), and the basins partition the grid
(`mean_basin_size`, as a fraction of the grid's vertices so that it does not grow with the resolution, is
1 / `n_basins`). What is new is per basin: sizes and depths, kept in the topology .npz (`to_arrays`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losstopo.topology.graph import Graph, landscape_graph
from losstopo.topology.merge_tree import SADDLE, MergeTree, sweep_order

if TYPE_CHECKING:  # analysis imports this module: no import cycle at run time
    from losstopo.topology.analysis import LandscapeTopology

SUMMARY_KEYS = ("smad", "smad_normalised", "smad_weighted", "smad_weighted_normalised", "n_basins",
                "max_basin_depth", "mean_basin_size")
ARRAYS = {"minimum_vertex": "minimum_vertex", "saddle_vertex": "saddle_vertex", "gap": "gaps", "size": "basin_sizes",
          "depth": "basin_depths"}  # per-basin array in the topology .npz (as basins_<key>) -> field


@dataclass(frozen=True)
class BasinMetrics:
    """SMAD in Landscaper's four variants and, per basin, its minimum, first saddle, gap, size and depth.

    Basins are the tree's branches in increasing (loss, vertex) order of their minima, the order of
    `persistence_pairs`. `saddle_vertex` is -1 and `gaps` NaN for a minimum whose leaf arc ends at the
    top of its component (a single-minimum component); `vertex_basin` is each vertex's basin index.
    """

    smad: float
    smad_normalised: float
    smad_weighted: float
    smad_weighted_normalised: float
    loss_range: float
    minimum_vertex: np.ndarray
    saddle_vertex: np.ndarray
    gaps: np.ndarray
    basin_sizes: np.ndarray
    basin_depths: np.ndarray
    vertex_basin: np.ndarray

    @property
    def n_basins(self) -> int:
        return int(self.minimum_vertex.size)

    @property
    def n_pairs(self) -> int:
        return int(np.sum(self.saddle_vertex >= 0))

    @property
    def max_basin_depth(self) -> float:
        """The deepest basin's depth (the global minimum's: the finite loss range on a connected grid)."""
        return float(self.basin_depths.max()) if self.basin_depths.size else 0.0

    @property
    def mean_basin_size(self) -> float:
        """The mean basin size as a fraction of the grid's vertices (1 / n_basins: basins partition it)."""
        total = int(self.basin_sizes.sum())
        return float(self.basin_sizes.mean() / total) if total else 0.0

    def summary(self) -> dict[str, float | int]:
        """The scalar metrics of the topology JSON (`SUMMARY_KEYS`) as JSON-ready values."""
        return {key: getattr(self, key) for key in SUMMARY_KEYS}

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Per-basin arrays for the topology .npz, in the order of the persistence pairs: basins_minimum_vertex,
        basins_saddle_vertex (-1: none), basins_gap (NaN: none), basins_size (vertices), basins_depth."""
        return {f"basins_{key}": getattr(self, field) for key, field in ARRAYS.items()}


def descent_minimum(values: np.ndarray, graph: Graph) -> np.ndarray:
    """The vertex where each vertex's steepest-descent path on `graph` ends (a minimum of the sweep)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    n = graph.n_vertices
    if values.size != n:
        raise ValueError(f"{values.size} values for a graph of {n} vertices")
    rank = np.empty(n, dtype=np.int64)
    rank[sweep_order(values)] = np.arange(n)
    src = np.repeat(np.arange(n), graph.degrees)
    dst = graph.indices.astype(np.int64)
    down = rank[dst] < rank[src]
    src, dst = src[down], dst[down]
    length = np.linalg.norm(graph.coords[src] - graph.coords[dst], axis=1)
    drop = values[src] - values[dst]
    slope = np.divide(drop, length, out=np.full_like(drop, np.inf), where=length > 0)
    steepest = np.lexsort((rank[dst], -slope, src))
    first = np.ones(steepest.size, dtype=bool)
    first[1:] = src[steepest][1:] != src[steepest][:-1]
    step = np.arange(n)
    step[src[steepest[first]]] = dst[steepest[first]]
    while True:
        jumped = step[step]
        if np.array_equal(jumped, step):
            return step
        step = jumped


def basin_metrics(tree: MergeTree, graph: Graph) -> BasinMetrics:
    """SMAD, basin sizes and depths of `tree`, the merge tree of its values on `graph` (with coordinates)."""
    values = tree.values
    if values.size != graph.n_vertices:
        raise ValueError(f"a tree of {values.size} vertices on a graph of {graph.n_vertices}; pass the "
                         "graph the tree was built on")
    order = np.argsort(tree.branch_node)
    basin_of_branch = np.empty_like(order)
    basin_of_branch[order] = np.arange(order.size)
    minimum_node = tree.branch_node[order]
    first = tree.node_parent[minimum_node]
    paired = (first >= 0) & (tree.node_kind[np.maximum(first, 0)] == SADDLE)
    node_value = tree.node_value
    gaps = np.where(paired, node_value[first] - node_value[minimum_node], np.nan)
    vertex_basin = basin_of_branch[tree.vertex_branch[descent_minimum(values, graph)]]
    sizes = np.bincount(vertex_basin, minlength=order.size).astype(np.int64)
    loss_range = float(values.max() - values.min())
    gap, weighted = gaps[paired], gaps[paired] * sizes[paired] / values.size
    smad = float(gap.mean()) if gap.size else 0.0
    smad_weighted = float(weighted.mean()) if gap.size else 0.0
    scale = 1.0 / loss_range if loss_range > 0 else 0.0
    return BasinMetrics(
        smad=smad,
        smad_normalised=smad * scale,
        smad_weighted=smad_weighted,
        smad_weighted_normalised=smad_weighted * scale,
        loss_range=loss_range,
        minimum_vertex=tree.node_vertex[minimum_node],
        saddle_vertex=np.where(paired, tree.node_vertex[np.maximum(first, 0)], -1),
        gaps=gaps,
        basin_sizes=sizes,
        basin_depths=node_value[tree.branch_death[order]] - node_value[minimum_node],
        vertex_basin=vertex_basin,
    )


def landscape_basin_metrics(topology: LandscapeTopology) -> BasinMetrics:
    """`basin_metrics` of a computed or loaded landscape topology, on the graph it was built with."""
    graph = landscape_graph(list(topology.axes), topology.connectivity, topology.k)
    return basin_metrics(topology.tree, graph)

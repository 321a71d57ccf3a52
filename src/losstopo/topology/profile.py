"""Topological landscape profiles (paper P): a merge tree drawn as a 1-D terrain.

Every vertex of the landscape becomes one unit-wide column at its (simplified) loss. Each branch of
the merge tree is a basin: its minimum sits in the middle, its other vertices rise in two walls
sorted by loss, and each child basin is set into the wall right outside the saddle column where it
joins, fenced by rim points at the saddle's loss. So at any loss level the terrain's sub-level
intervals are exactly the landscape's sub-level components, each as wide as its number of vertices,
whatever the landscape's dimension. Walls are filled greedily so that basins stay near symmetric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from losstopo.topology.merge_tree import MergeTree, sweep_order


@dataclass(frozen=True)
class LandscapeProfile:
    """The terrain polyline (x, loss) and the positions of its minima and saddles."""

    x: np.ndarray
    y: np.ndarray
    minima_x: np.ndarray
    minima_y: np.ndarray
    saddles_x: np.ndarray
    saddles_y: np.ndarray

    @property
    def width(self) -> float:
        return float(self.x.max() - self.x.min()) + 1.0 if self.x.size else 0.0

    def to_arrays(self, prefix: str = "profile_") -> dict[str, np.ndarray]:
        """The profile as named arrays (for an .npz); `from_arrays` reads them back."""
        return {prefix + name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "profile_") -> LandscapeProfile:
        return cls(**{name: np.asarray(arrays[prefix + name]) for name in _FIELDS})


_FIELDS = ("x", "y", "minima_x", "minima_y", "saddles_x", "saddles_y")


def landscape_profile(tree: MergeTree) -> LandscapeProfile:
    """The 1-D terrain of `tree`: one column per vertex, nested basins, rims at the saddles."""
    level = tree.simplified_values
    by_level = sweep_order(tree.values)
    by_level = by_level[np.argsort(level[by_level], kind="stable")]
    walls = by_level[np.argsort(tree.vertex_branch[by_level], kind="stable")]
    starts = np.zeros(len(tree.branch_node) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tree.vertex_branch, minlength=len(tree.branch_node)), out=starts[1:])
    death_vertex = np.where(tree.branch_parent >= 0, tree.node_vertex[tree.branch_death], -1)
    column_x, rim_x, rim_branch = _layout(walls, starts, death_vertex, tree.branch_size,
                                          tree.branch_parent < 0)
    rim_y = level[death_vertex[rim_branch]]
    x = np.concatenate([column_x, rim_x])
    y = np.concatenate([level, rim_y])
    order = np.argsort(x, kind="stable")
    saddles = tree.node_vertex[np.unique(tree.branch_death[tree.branch_parent >= 0])]
    minima = tree.node_vertex[tree.branch_node]
    return LandscapeProfile(x[order], y[order], column_x[minima], level[minima],
                            column_x[saddles], level[saddles])


@numba.njit(cache=True)
def _layout(walls, starts, death_vertex, width, is_root):
    """Column centre of every vertex, and the x of the two rim points fencing each child basin.

    Branches are placed parents first (branch ids follow birth order). Within a branch the vertices
    after the minimum are taken by increasing loss; each with the child basins that die at it forms
    one item, put on the lighter wall, children outward of their saddle column.
    """
    n, n_branches = len(walls), len(starts) - 1
    first_child = np.full(n, -1, dtype=np.int64)
    next_child = np.full(n_branches, -1, dtype=np.int64)
    for c in range(n_branches - 1, -1, -1):
        if death_vertex[c] >= 0:
            next_child[c] = first_child[death_vertex[c]]
            first_child[death_vertex[c]] = c
    left = np.zeros(n_branches, dtype=np.float64)
    cursor = 0.0
    for b in range(n_branches):
        if is_root[b]:
            left[b] = cursor
            cursor += width[b]
    column_x = np.zeros(n, dtype=np.float64)
    on_right = np.zeros(n, dtype=np.bool_)
    item = np.ones(n, dtype=np.float64)
    rim_x = np.zeros(2 * n_branches, dtype=np.float64)
    rim_branch = np.zeros(2 * n_branches, dtype=np.int64)
    n_rims = 0
    for b in range(n_branches):
        lo, hi = starts[b], starts[b + 1]
        left_width, right_width = 0.0, 0.0
        for i in range(lo + 1, hi):
            u = walls[i]
            c = first_child[u]
            while c >= 0:
                item[u] += width[c]
                c = next_child[c]
            on_right[u] = right_width <= left_width
            if on_right[u]:
                right_width += item[u]
            else:
                left_width += item[u]
        right_edge = left[b] + left_width + 1.0
        left_edge = left[b] + left_width
        column_x[walls[lo]] = left_edge + 0.5
        for i in range(lo + 1, hi):
            u = walls[i]
            if on_right[u]:
                column_x[u] = right_edge + 0.5
                edge = right_edge + 1.0
            else:
                column_x[u] = left_edge - 0.5
                edge = left_edge - item[u]
            c = first_child[u]
            while c >= 0:
                left[c] = edge
                edge += width[c]
                rim_x[n_rims] = left[c]
                rim_x[n_rims + 1] = left[c] + width[c]
                rim_branch[n_rims] = c
                rim_branch[n_rims + 1] = c
                n_rims += 2
                c = next_child[c]
            if on_right[u]:
                right_edge += item[u]
            else:
                left_edge -= item[u]
    return column_x, rim_x[:n_rims], rim_branch[:n_rims]

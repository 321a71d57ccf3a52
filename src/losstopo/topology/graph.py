"""Vertex graphs that a landscape's scalar field lives on: regular N-D grids and k-NN point clouds.

The connectivity decides what counts as a neighbour, and so the number of minima and saddles; every
result records it. Graphs are symmetric CSR adjacency lists (no self loops, no duplicates).

Grid vertices are numbered in C order of the loss array (the last axis varies fastest), which is also
the vertex numbering of VTK image data whose x axis is the array's last axis, so that ties broken by
vertex index agree with TTK's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

CONNECTIVITIES = ("ttk", "axis", "full", "knn")


@dataclass(frozen=True)
class Graph:
    """A symmetric adjacency list (CSR) with the coordinates of its vertices."""

    indptr: np.ndarray
    indices: np.ndarray
    coords: np.ndarray
    connectivity: str
    k: int = 0

    @property
    def n_vertices(self) -> int:
        return len(self.indptr) - 1

    @property
    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)

    def edges(self) -> np.ndarray:
        """Each undirected edge once, as an (m, 2) array with the smaller vertex first."""
        src = np.repeat(np.arange(self.n_vertices), self.degrees)
        keep = src < self.indices
        return np.stack([src[keep], self.indices[keep]], axis=1)


def grid_offsets(ndim: int, connectivity: str) -> np.ndarray:
    """Neighbour offsets (one row per neighbour) of an interior vertex of an `ndim`-D grid.

    `axis`: the 2N unit steps. `full`: all 3^N - 1 steps of the surrounding cube. `ttk`: the
    Freudenthal (Kuhn) triangulation of TTK's ImplicitTriangulation, 2 (2^N - 1) steps whose
    entries, once multiplied by (1, ..., 1, -1), all lie in {0, 1} or all in {0, -1}; in 2-D this is
    +-x, +-y and the anti-diagonal pair, in 3-D the 14 neighbours TTK uses.
    """
    cube = np.array([s for s in itertools.product((-1, 0, 1), repeat=ndim) if any(s)], dtype=np.int64)
    if connectivity == "full":
        return cube
    if connectivity == "axis":
        return cube[np.abs(cube).sum(axis=1) == 1]
    if connectivity == "ttk":
        flipped = cube * np.r_[np.ones(ndim - 1, dtype=np.int64), -1]
        return cube[(flipped >= 0).all(axis=1) | (flipped <= 0).all(axis=1)]
    raise ValueError(f"unknown grid connectivity {connectivity!r}; expected one of 'ttk', 'axis', 'full'")


def grid_graph(shape: tuple[int, ...], connectivity: str = "ttk",
               axes: list[np.ndarray] | None = None) -> Graph:
    """The graph of a regular grid of `shape`, with coordinates from `axes` (default: indices)."""
    shape = tuple(int(s) for s in shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"grid shape must have at least one axis and no empty axis, got {shape}")
    offsets = grid_offsets(len(shape), connectivity)
    n = int(np.prod(shape))
    ids = np.arange(n, dtype=_index_dtype(n)).reshape(shape)
    neighbours = np.full(shape + (len(offsets),), -1, dtype=ids.dtype)
    for j, step in enumerate(offsets):
        source = tuple(slice(max(0, -s), size - max(0, s)) for s, size in zip(step, shape))
        target = tuple(slice(max(0, s), size - max(0, -s)) for s, size in zip(step, shape))
        neighbours[source + (j,)] = ids[target]
    return _from_padded(neighbours.reshape(n, -1), _grid_coords(shape, axes), connectivity)


def knn_graph(points: np.ndarray, k: int = 8) -> Graph:
    """The symmetric k-nearest-neighbour graph: u ~ v when either is among the other's k nearest."""
    from scipy.spatial import cKDTree  # here, not at the top: grid jobs never pay scipy's import

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or len(points) < 2:
        raise ValueError(f"knn_graph needs an (n >= 2, d) array of points, got shape {points.shape}")
    k_eff = min(int(k), len(points) - 1)
    if k_eff < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    _, nearest = cKDTree(points).query(points, k=k_eff + 1)
    src = np.repeat(np.arange(len(points)), k_eff)
    dst = nearest[:, 1:].ravel()
    return _from_edges(np.concatenate([src, dst]), np.concatenate([dst, src]), points, "knn", k)


def landscape_graph(axes: list[np.ndarray], connectivity: str = "ttk", k: int = 8) -> Graph:
    """The graph of a landscape sampled on the grid spanned by `axes`, any connectivity including knn."""
    shape = tuple(len(a) for a in axes)
    if connectivity == "knn":
        return knn_graph(_grid_coords(shape, axes), k)
    if connectivity not in CONNECTIVITIES:
        raise ValueError(f"unknown connectivity {connectivity!r}; expected one of {CONNECTIVITIES}")
    return grid_graph(shape, connectivity, axes)


def _grid_coords(shape: tuple[int, ...], axes: list[np.ndarray] | None) -> np.ndarray:
    """Coordinates of the grid's vertices in C order, one row per vertex."""
    if axes is None:
        axes = [np.arange(s, dtype=np.float64) for s in shape]
    if tuple(len(a) for a in axes) != shape:
        raise ValueError(f"axes of lengths {[len(a) for a in axes]} do not match grid shape {shape}")
    mesh = np.meshgrid(*[np.asarray(a, dtype=np.float64) for a in axes], indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _from_padded(neighbours: np.ndarray, coords: np.ndarray, connectivity: str) -> Graph:
    """A CSR graph from an (n, m) neighbour table padded with -1."""
    valid = neighbours >= 0
    indptr = np.zeros(len(neighbours) + 1, dtype=np.int64)
    np.cumsum(valid.sum(axis=1), out=indptr[1:])
    return Graph(indptr, neighbours[valid], coords, connectivity)


def _from_edges(src: np.ndarray, dst: np.ndarray, coords: np.ndarray, connectivity: str, k: int) -> Graph:
    """A CSR graph from directed edge lists, dropping duplicates and self loops."""
    n = len(coords)
    loops = src == dst
    keys = np.unique(src[~loops].astype(np.int64) * n + dst[~loops])
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // n, minlength=n), out=indptr[1:])
    return Graph(indptr, (keys % n).astype(_index_dtype(n)), coords, connectivity, int(k))


def _index_dtype(n: int) -> type:
    return np.int32 if n < 2**31 else np.int64

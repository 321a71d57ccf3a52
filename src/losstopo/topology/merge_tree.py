"""The join (merge) tree of a scalar field's sub-level sets, by one union-find sweep in increasing value.

Vertices are swept in increasing (value, vertex index) order: ties are broken by index, a simulation
of simplicity, so equal values never make the result depend on anything but the numbering. A vertex
with no already-swept neighbour starts a component (a minimum); one that touches several components
joins them (a saddle), and by the elder rule every joined component but the one with the oldest
minimum dies there, which pairs its minimum with that saddle. Each minimum's branch runs from it to the
saddle where it dies (the oldest minimum of a connected graph component lives up to that component's
highest vertex, the root). The tree keeps only branches whose persistence (death - birth) exceeds a
threshold; the default 0 drops the zero-persistence pairs that flat plateaus create, so results depend
on the field's values only, not on how ties were broken.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from losstopo.topology.graph import Graph

MINIMUM, SADDLE, ROOT = 0, 1, 2


@dataclass(frozen=True)
class MergeTree:
    """A join tree: nodes, arcs, branch decomposition and the segmentation of every vertex.

    Nodes are sorted by (value, vertex). An arc runs from a node to its parent and is numbered by its
    lower node; `vertex_arc` names the arc (lower node) holding each vertex, `vertex_branch` the branch
    (minimum) whose basin holds it. Branch b is born at node `branch_node[b]` (a minimum) and dies at
    node `branch_death[b]` (a saddle, or the root for the oldest minimum of a component, whose
    `branch_parent` is -1). `simplified_values` is the field with every dropped basin raised to the
    saddle where it joins its kept ancestor: the field whose tree this is.
    """

    values: np.ndarray
    node_vertex: np.ndarray
    node_kind: np.ndarray
    node_parent: np.ndarray
    node_coords: np.ndarray
    branch_node: np.ndarray
    branch_death: np.ndarray
    branch_parent: np.ndarray
    vertex_arc: np.ndarray
    vertex_branch: np.ndarray
    simplified_values: np.ndarray
    persistence_threshold: float = 0.0

    @property
    def node_value(self) -> np.ndarray:
        return self.values[self.node_vertex]

    @property
    def arcs(self) -> np.ndarray:
        """(lower node, upper node) of each arc, one row per non-root node."""
        lower = np.flatnonzero(self.node_parent >= 0)
        return np.stack([lower, self.node_parent[lower]], axis=1)

    @property
    def n_minima(self) -> int:
        return int(np.sum(self.node_kind == MINIMUM))

    @property
    def n_saddles(self) -> int:
        return int(np.sum(self.node_kind == SADDLE))

    @property
    def branch_birth(self) -> np.ndarray:
        return self.node_value[self.branch_node]

    @property
    def branch_size(self) -> np.ndarray:
        """Number of vertices in each branch's basin, its nested child basins included."""
        own = np.bincount(self.vertex_branch, minlength=len(self.branch_node)).astype(np.int64)
        return _add_up(own, self.branch_parent, np.argsort(self.branch_node)[::-1])

    def to_arrays(self, prefix: str = "tree_") -> dict[str, np.ndarray]:
        """The tree as named arrays (for an .npz); `from_arrays` reads them back."""
        arrays = {name: getattr(self, name) for name in _ARRAY_FIELDS}
        arrays["persistence_threshold"] = np.float64(self.persistence_threshold)
        return {prefix + name: np.asarray(value) for name, value in arrays.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "tree_") -> MergeTree:
        """The tree saved by `to_arrays` (e.g. an opened .npz)."""
        fields = {name: np.asarray(arrays[prefix + name]) for name in _ARRAY_FIELDS}
        return cls(**fields, persistence_threshold=float(arrays[prefix + "persistence_threshold"]))


_ARRAY_FIELDS = ("values", "node_vertex", "node_kind", "node_parent", "node_coords", "branch_node",
                 "branch_death", "branch_parent", "vertex_arc", "vertex_branch", "simplified_values")


def fill_nonfinite(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Values with NaN and +-inf replaced by the largest finite value, and how many there were.

    A non-finite loss is a failed evaluation. Put at the highest level of the landscape it never starts
    a basin of positive persistence and joins basins only at the top: it acts as a wall, which may
    fence in a basin of its finite neighbours but invents no minimum of its own.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    bad = ~np.isfinite(values)
    if bad.all():
        raise ValueError(f"all {values.size} loss values are NaN or infinite; check the landscape run")
    if not bad.any():
        return values, 0
    filled = values.copy()
    filled[bad] = values[~bad].max()
    return filled, int(bad.sum())


def merge_tree(values: np.ndarray, graph: Graph, persistence_threshold: float = 0.0) -> MergeTree:
    """The join tree of `values` (one per vertex) on `graph`, keeping branches of persistence > threshold."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.shape[0] != graph.n_vertices:
        raise ValueError(f"{values.shape[0]} values for a graph of {graph.n_vertices} vertices")
    if not np.isfinite(values).all():
        raise ValueError("values contain NaN or inf; pass them through fill_nonfinite first")
    if persistence_threshold < 0:
        raise ValueError(f"persistence_threshold must be >= 0, got {persistence_threshold}")
    order = sweep_order(values)
    death, into, branch_of, top = _sweep(order, graph.indptr, graph.indices)
    return _assemble(values, order, graph.coords, death, into, branch_of, top, float(persistence_threshold))


def sweep_order(values: np.ndarray) -> np.ndarray:
    """Vertices by increasing (value, index): a fast sort, made stable only when values tie."""
    order = np.argsort(values)
    ranked = values[order]
    if np.any(ranked[1:] == ranked[:-1]):
        order = np.argsort(values, kind="stable")
    return order


@numba.njit(cache=True)
def _find(parent: np.ndarray, v: int) -> int:
    while parent[v] != v:
        parent[v] = parent[parent[v]]
        v = parent[v]
    return v


@numba.njit(cache=True)
def _sweep(order, indptr, indices):
    """Union-find sweep: each minimum's death saddle and elder, each vertex's branch, each root's top.

    Returns death[v] (saddle killing minimum v; -1 if v is no minimum or never dies), into[v] (the
    minimum whose component v's merges into), branch_of[v] (oldest minimum of v's component when v
    is swept) and top[v] (last vertex swept into the component whose union-find root is v, else -1).
    A vertex is swept once its union-find parent is set; each root keeps the sweep position of its
    component's oldest minimum.
    """
    n = len(order)
    parent = np.full(n, -1, dtype=np.int64)
    size = np.zeros(n, dtype=np.int64)
    birth = np.zeros(n, dtype=np.int64)
    death = np.full(n, -1, dtype=np.int64)
    into = np.full(n, -1, dtype=np.int64)
    branch_of = np.empty(n, dtype=np.int64)
    top = np.full(n, -1, dtype=np.int64)
    max_degree = 1
    for v in range(n):
        max_degree = max(max_degree, indptr[v + 1] - indptr[v])
    roots = np.empty(max_degree, dtype=np.int64)
    for i in range(n):
        v = order[i]
        n_roots = 0
        for p in range(indptr[v], indptr[v + 1]):
            u = indices[p]
            if parent[u] < 0:
                continue
            r = _find(parent, u)
            seen = False
            for j in range(n_roots):
                seen = seen or roots[j] == r
            if not seen:
                roots[n_roots] = r
                n_roots += 1
        if n_roots == 0:
            parent[v] = v
            size[v] = 1
            birth[v] = i
            branch_of[v] = v
            top[v] = v
            continue
        elder, big = roots[0], roots[0]
        for j in range(1, n_roots):
            r = roots[j]
            if birth[r] < birth[elder]:
                elder = r
            if size[r] > size[big]:
                big = r
        survivor = order[birth[elder]]
        for j in range(n_roots):
            r = roots[j]
            if r != elder:
                death[order[birth[r]]] = v
                into[order[birth[r]]] = survivor
            if r != big:
                parent[r] = big
                size[big] += size[r]
                top[r] = -1
        parent[v] = big
        size[big] += 1
        birth[big] = birth[elder]
        top[big] = v
        branch_of[v] = survivor
    return death, into, branch_of, top


def _assemble(values, order, coords, death, into, branch_of, top, threshold) -> MergeTree:
    """Nodes, arcs, branches and segmentation of the swept field, simplified at `threshold`."""
    n = len(values)
    tops = top[top >= 0]
    end = death.copy()
    end[branch_of[tops]] = tops
    minima = order[end[order] >= 0]
    end = end[minima]
    essential = death[minima] < 0
    keep = essential | (values[end] - values[minima] > threshold)
    branch_id = np.full(n, -1, dtype=np.int64)
    branch_id[minima] = np.arange(len(minima))
    elder = np.where(essential, -1, branch_id[np.where(essential, minima, into[minima])])
    anchor, outer = _absorb(keep, elder)

    kept = np.flatnonzero(keep)
    new_id = np.full(len(minima), -1, dtype=np.int64)
    new_id[kept] = np.arange(len(kept))
    b_min, b_end, b_essential = minima[kept], end[kept], essential[kept]
    old = branch_id[branch_of]
    vertex_branch = new_id[anchor[old]]
    exit_vertex = np.where(keep[old], -1, end[outer[old]])

    kind = np.full(n, -1, dtype=np.int8)
    kind[b_end[b_essential]] = ROOT
    kind[b_end[~b_essential]] = SADDLE
    kind[b_min] = MINIMUM
    node_vertex = order[kind[order] >= 0]
    node_of = np.full(n, -1, dtype=np.int64)
    node_of[node_vertex] = np.arange(len(node_vertex))
    end_node = np.where(b_essential, -1, node_of[b_end])
    node_parent, vertex_arc = _link(order, vertex_branch, exit_vertex, node_of, end_node, len(node_vertex))
    return MergeTree(
        values=values,
        node_vertex=node_vertex,
        node_kind=kind[node_vertex],
        node_parent=node_parent,
        node_coords=coords[node_vertex],
        branch_node=node_of[b_min],
        branch_death=node_of[b_end],
        branch_parent=np.where(b_essential, -1, new_id[elder[kept]]),
        vertex_arc=vertex_arc,
        vertex_branch=vertex_branch,
        simplified_values=np.where(exit_vertex >= 0, values[exit_vertex], values),
        persistence_threshold=threshold,
    )


def _absorb(keep: np.ndarray, elder: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each branch, the kept branch whose basin absorbs it, and its outermost dropped ancestor.

    A kept branch is its own anchor. A dropped branch's basin joins its nearest kept ancestor at the
    death saddle of its outermost dropped ancestor (whose descendants are all dropped too, having
    less persistence).
    """
    idx = np.arange(len(keep))
    outer = np.where(keep | (elder < 0) | keep[np.maximum(elder, 0)], idx, elder)
    while True:
        nxt = outer[outer]
        if np.array_equal(nxt, outer):
            break
        outer = nxt
    return np.where(keep, idx, elder[outer]), outer


@numba.njit(cache=True)
def _add_up(own, parent, children_first):
    """Each branch's own count plus its descendants', visiting children before their parents."""
    total = own.copy()
    for b in children_first:
        if parent[b] >= 0:
            total[parent[b]] += total[b]
    return total


@numba.njit(cache=True)
def _link(order, vertex_branch, exit_vertex, node_of, end_node, n_nodes):
    """Parent of every node and arc of every vertex, walking each branch's nodes in sweep order.

    A vertex lies on the arc of the last node of its branch swept before it (a node heads its own
    upward arc; a root, having none, keeps the arc below it). A vertex of a dropped basin lies where
    that basin joins its kept ancestor, just below the exit saddle.
    """
    n, n_branches = len(order), len(end_node)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    head = np.full(n_branches, -1, dtype=np.int64)
    below = np.full(n, -1, dtype=np.int64)
    arc = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        v = order[i]
        if exit_vertex[v] >= 0:
            continue
        b = vertex_branch[v]
        below[v] = head[b]
        node = node_of[v]
        if node >= 0:
            if head[b] >= 0:
                parent[head[b]] = node
            head[b] = node
        arc[v] = head[b]
    for b in range(n_branches):
        parent[head[b]] = end_node[b]
    for v in range(n):
        node = node_of[v]
        if node >= 0 and parent[node] < 0 and below[v] >= 0:
            arc[v] = below[v]
    for v in range(n):
        if exit_vertex[v] >= 0:
            arc[v] = below[exit_vertex[v]] if node_of[exit_vertex[v]] >= 0 else arc[exit_vertex[v]]
    return parent, arc

"""Merge trees and persistence against gudhi, hand-checked trees, ties and a brute-force segmentation."""

from __future__ import annotations

from collections import Counter

import gudhi
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from losstopo.topology import (
    MINIMUM,
    ROOT,
    SADDLE,
    MergeTree,
    fill_nonfinite,
    grid_graph,
    knn_graph,
    landscape_topology,
    merge_tree,
    persistence_pairs,
    topology_metrics,
)


def smooth_field(shape: tuple[int, ...], seed: int, sigma: float = 1.2) -> np.ndarray:
    """Gaussian-smoothed noise: many wells of all depths, distinct values."""
    return gaussian_filter(np.random.default_rng(seed).standard_normal(shape), sigma, mode="nearest")


def gudhi_intervals(values: np.ndarray, graph, min_persistence: float = 0.0) -> tuple[Counter, int]:
    """Finite 0-dim intervals (as a multiset) and the number of infinite ones, of the lower-star
    filtration of `values` on the graph's edges, by gudhi's SimplexTree."""
    tree = gudhi.SimplexTree()
    tree.insert_batch(np.arange(len(values))[None, :], values)
    edges = graph.edges()
    tree.insert_batch(edges.T, np.maximum(values[edges[:, 0]], values[edges[:, 1]]))
    tree.compute_persistence(min_persistence=min_persistence)
    intervals = tree.persistence_intervals_in_dimension(0)
    finite = np.isfinite(intervals[:, 1])
    return Counter(map(tuple, intervals[finite].tolist())), int((~finite).sum())


def our_intervals(tree: MergeTree) -> tuple[Counter, int]:
    pairs = persistence_pairs(tree)
    finite = pairs.finite()
    return Counter(zip(finite.birth.tolist(), finite.death.tolist())), int(pairs.essential.sum())


@pytest.mark.parametrize("shape, sigma", [((31, 37), 1.2), ((9, 10, 11), 1.0), ((6, 7, 6, 7), 0.6)])
@pytest.mark.parametrize("connectivity", ["ttk", "axis", "full"])
def test_grid_pairs_equal_gudhi(shape, sigma, connectivity):
    values = smooth_field(shape, seed=len(shape), sigma=sigma).ravel()
    graph = grid_graph(shape, connectivity)
    ours = our_intervals(merge_tree(values, graph))
    assert ours == gudhi_intervals(values, graph)
    assert sum(ours[0].values()) > 10


@pytest.mark.parametrize("dim, k", [(2, 8), (3, 6), (4, 10)])
def test_knn_pairs_equal_gudhi(dim, k):
    rng = np.random.default_rng(dim)
    points = rng.random((700, dim))
    values = np.sin(7 * points).sum(axis=1) + 0.3 * rng.random(len(points))
    graph = knn_graph(points, k)
    ours = our_intervals(merge_tree(values, graph))
    assert ours == gudhi_intervals(values, graph)
    assert sum(ours[0].values()) > 10


def test_disconnected_graph_has_one_essential_pair_per_component():
    rng = np.random.default_rng(5)
    points = np.vstack([rng.random((80, 2)), rng.random((80, 2)) + 10.0])
    values = rng.random(len(points))
    graph = knn_graph(points, 8)
    edges = graph.edges()
    adjacency = coo_matrix((np.ones(len(edges)), tuple(edges.T)), shape=(160, 160))
    n_components = connected_components(adjacency, directed=False)[0]
    tree = merge_tree(values, graph)
    assert our_intervals(tree) == gudhi_intervals(values, graph)
    assert our_intervals(tree)[1] == n_components >= 2
    assert (tree.node_parent < 0).sum() == n_components


@pytest.mark.parametrize("threshold", [0.05, 0.2])
def test_threshold_keeps_exactly_the_more_persistent_pairs(threshold):
    values = smooth_field((40, 40), seed=3).ravel()
    graph = grid_graph((40, 40), "ttk")
    tree = merge_tree(values, graph, threshold)
    assert our_intervals(tree) == gudhi_intervals(values, graph, min_persistence=threshold)
    again = merge_tree(tree.simplified_values, graph)
    assert our_intervals(again) == our_intervals(tree), "the simplified field has the simplified tree"


def test_hand_checked_3x3_with_two_minima():
    """Minima 0 (vertex 0) and 1 (vertex 2) meet at the saddle 3 (vertex 1); the root is 9 (vertex 8)."""
    values = np.array([[0, 3, 1], [4, 5, 6], [7, 8, 9]], dtype=float)
    for connectivity in ("ttk", "axis", "full"):
        tree = merge_tree(values.ravel(), grid_graph((3, 3), connectivity))
        assert tree.node_vertex.tolist() == [0, 2, 1, 8]
        assert tree.node_kind.tolist() == [MINIMUM, MINIMUM, SADDLE, ROOT]
        assert tree.arcs.tolist() == [[0, 2], [1, 2], [2, 3]]
        assert tree.vertex_arc.tolist() == [0, 2, 1, 2, 2, 2, 2, 2, 2]
        pairs = persistence_pairs(tree)
        assert pairs.birth.tolist() == [0, 1] and pairs.death.tolist() == [9, 3]
        assert pairs.essential.tolist() == [True, False]
        assert pairs.death_vertex.tolist() == [8, 1]
        metrics = topology_metrics(tree)
        assert (metrics.n_minima, metrics.n_saddles, metrics.avg_persistence) == (2, 1, 2.0)
        assert tree.branch_size.tolist() == [9, 1]


def test_hand_checked_3x3_where_the_diagonal_matters():
    """Values 0, 1, 2 on the main diagonal: three basins without it, one with the 8-neighbourhood."""
    values = np.array([[0, 4, 5], [6, 1, 7], [8, 9, 2]], dtype=float).ravel()
    for connectivity in ("ttk", "axis"):
        pairs = persistence_pairs(merge_tree(values, grid_graph((3, 3), connectivity))).finite()
        assert sorted(zip(pairs.birth.tolist(), pairs.death.tolist())) == [(1, 4), (2, 7)]
        assert sorted(pairs.death_vertex.tolist()) == [1, 5]
    full = merge_tree(values, grid_graph((3, 3), "full"))
    assert topology_metrics(full).n_minima == 1 and topology_metrics(full).n_saddles == 0
    assert full.arcs.tolist() == [[0, 1]]


def test_sum_of_gaussians_has_one_minimum_per_well_at_its_centre():
    axis = np.linspace(-4, 4, 81)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    wells = [(-2.0, -2.0, 1.0), (2.0, -2.0, 0.8), (-2.0, 2.0, 0.6), (2.0, 2.5, 0.9), (0.0, 0.0, 0.5)]
    loss = 0.02 * (x**2 + y**2)
    for cx, cy, depth in wells:
        loss -= depth * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 0.5)
    for connectivity in ("ttk", "axis", "full", "knn"):
        topology = landscape_topology(loss, [axis, axis], connectivity)
        tree = topology.tree
        assert topology.metrics.n_minima == 5 and topology.metrics.n_saddles == 4
        minima = tree.node_coords[tree.node_kind == MINIMUM]
        for cx, cy, _ in wells:
            assert np.min(np.hypot(minima[:, 0] - cx, minima[:, 1] - cy)) <= 0.15
        deepest = tree.node_coords[tree.branch_node[tree.branch_parent < 0]][0]
        assert np.allclose(deepest, [-2.0, -2.0], atol=0.15)


def test_segmentation_matches_brute_force_sublevel_components():
    """A vertex on arc (a, parent a) sees, in its sub-level component, exactly the minima below a."""
    shape = (9, 11)
    values = smooth_field(shape, seed=7, sigma=0.8).ravel()
    graph = grid_graph(shape, "ttk")
    tree = merge_tree(values, graph)
    leaves_below = [set() for _ in tree.node_vertex]
    for node in range(len(tree.node_vertex)):
        if tree.node_kind[node] == MINIMUM:
            up = node
            while up >= 0:
                leaves_below[up].add(int(tree.node_vertex[node]))
                up = tree.node_parent[up]
    minima = set(tree.node_vertex[tree.node_kind == MINIMUM].tolist())
    edges = graph.edges()
    for v in range(len(values)):
        inside = values <= values[v]
        sub = edges[inside[edges[:, 0]] & inside[edges[:, 1]]]
        adjacency = coo_matrix((np.ones(len(sub)), (sub[:, 0], sub[:, 1])), shape=(len(values),) * 2)
        label = connected_components(adjacency, directed=False)[1]
        seen = {m for m in minima if label[m] == label[v]}
        assert seen == leaves_below[tree.vertex_arc[v]], f"vertex {v}"


def test_values_along_arcs_increase():
    values = smooth_field((30, 30), seed=11).ravel()
    tree = merge_tree(values, grid_graph((30, 30), "full"), 0.01)
    arcs = tree.arcs
    assert np.all(tree.node_value[arcs[:, 0]] < tree.node_value[arcs[:, 1]])
    assert np.all(np.diff(tree.node_value) >= 0), "nodes are sorted by value"
    assert tree.branch_size[tree.branch_parent < 0].sum() == values.size


def test_constant_field_is_one_basin():
    graph = grid_graph((6, 7), "ttk")
    tree = merge_tree(np.full(42, 3.0), graph)
    pairs = persistence_pairs(tree)
    assert pairs.birth.tolist() == [3.0] and pairs.essential.tolist() == [True]
    assert tree.node_vertex.tolist() == [0, 41]
    assert topology_metrics(tree).avg_persistence == 0.0


@pytest.mark.parametrize("clip", ["top", "bottom"])
def test_plateaus_give_the_same_result_in_any_vertex_order(clip):
    """A clipped field (flat top or flat floors): the same pairs and metrics however vertices are numbered."""
    rng = np.random.default_rng(2)
    points = rng.random((900, 2)) * 6
    field = np.sin(points[:, 0] * 1.3) * np.cos(points[:, 1] * 1.1) + 0.05 * points[:, 0]
    values = np.minimum(field, 0.5) if clip == "top" else np.maximum(field, -0.6)
    results = []
    for perm in (np.arange(len(points)), rng.permutation(len(points)), rng.permutation(len(points))):
        graph = knn_graph(points[perm], 8)
        tree = merge_tree(values[perm], graph)
        assert our_intervals(tree) == gudhi_intervals(values[perm], graph)
        pairs = persistence_pairs(tree)
        results.append((sorted(zip(pairs.birth.tolist(), pairs.death.tolist())), topology_metrics(tree)))
    assert results[0] == results[1] == results[2]
    assert results[0][1].n_minima > 2


def test_deterministic():
    values = np.round(smooth_field((20, 20), seed=4), 1).ravel()
    graph = grid_graph((20, 20), "ttk")
    first, second = merge_tree(values, graph), merge_tree(values.copy(), graph)
    for name in ("node_vertex", "node_parent", "vertex_arc", "vertex_branch", "branch_node"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


def test_nonfinite_losses_become_a_wall_at_the_top():
    axis = np.linspace(-1, 1, 21)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    loss = x**2 + y**2
    loss[0:4, 2:5] = np.nan
    loss[20, 0] = np.inf
    loss[20, 20] = -np.inf
    topology = landscape_topology(loss, [axis, axis])
    assert topology.n_nonfinite == 4 * 3 + 2
    assert topology.metrics.n_minima == 1
    assert np.isfinite(loss.ravel()[topology.pairs.birth_vertex]).all()
    assert topology.pairs.death[0] == np.nanmax(loss[np.isfinite(loss)])
    with pytest.raises(ValueError, match="NaN or infinite"):
        fill_nonfinite(np.full(4, np.nan))


def test_round_trip_through_arrays():
    tree = merge_tree(smooth_field((12, 12), seed=1).ravel(), grid_graph((12, 12), "ttk"), 0.1)
    back = MergeTree.from_arrays(tree.to_arrays())
    for name, value in tree.to_arrays(prefix="").items():
        assert np.array_equal(np.asarray(getattr(back, name)), value)

"""Grid and k-NN graphs: neighbour counts, symmetry, TTK's triangulation, brute-force k-NN."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from losstopo.topology import grid_graph, knn_graph, landscape_graph


def neighbour_sets(graph) -> list[set[int]]:
    return [set(graph.indices[graph.indptr[v]:graph.indptr[v + 1]].tolist()) for v in range(graph.n_vertices)]


def assert_simple_symmetric(graph) -> None:
    sets = neighbour_sets(graph)
    assert sum(len(s) for s in sets) == len(graph.indices), "duplicate neighbours"
    for v, nbrs in enumerate(sets):
        assert v not in nbrs, "self loop"
        for u in nbrs:
            assert v in sets[u], f"edge {v}-{u} is not symmetric"


@pytest.mark.parametrize("shape, connectivity, interior", [
    ((5, 5), "ttk", 6), ((5, 5, 5), "ttk", 14), ((4, 4, 4, 4), "ttk", 30),
    ((5, 5), "axis", 4), ((5, 5, 5), "axis", 6), ((4, 4, 4, 4), "axis", 8),
    ((5, 5), "full", 8), ((5, 5, 5), "full", 26), ((4, 4, 4, 4), "full", 80),
])
def test_interior_vertex_degree_and_symmetry(shape, connectivity, interior):
    graph = grid_graph(shape, connectivity)
    centre = np.ravel_multi_index(tuple(s // 2 for s in shape), shape)
    assert graph.degrees[centre] == interior
    assert graph.degrees.max() == interior
    assert_simple_symmetric(graph)


def test_ttk_2d_uses_the_anti_diagonal_like_ttk():
    """TTK's ImplicitTriangulation links (i, j) to (i+1, j-1) and (i-1, j+1) in array index terms."""
    graph = grid_graph((3, 3), "ttk")
    assert neighbour_sets(graph)[4] == {1, 3, 5, 7, 2, 6}
    assert neighbour_sets(graph)[0] == {1, 3}
    assert neighbour_sets(graph)[2] == {1, 5, 4}


def test_ttk_3d_offsets_match_ttk_table():
    """TTK's 14 offsets of an interior 3-D vertex, written (x, y, z) with x the array's last axis."""
    ttk_xyz = {(0, -1, -1), (1, -1, -1), (0, 0, -1), (1, 0, -1), (0, -1, 0), (1, -1, 0), (1, 0, 0),
               (-1, 0, 1), (0, 0, 1), (-1, 0, 0), (-1, 1, 0), (0, 1, 0), (-1, 1, 1), (0, 1, 1)}
    shape = (5, 5, 5)
    graph = grid_graph(shape, "ttk")
    centre = np.ravel_multi_index((2, 2, 2), shape)
    found = {tuple(int(c) for c in (np.array(np.unravel_index(u, shape)) - 2)[::-1])
             for u in neighbour_sets(graph)[centre]}
    assert found == ttk_xyz


def test_ttk_2d_is_a_triangulation():
    """Edges of a triangulated a x b grid: horizontal + vertical + one diagonal per square."""
    a, b = 7, 9
    graph = grid_graph((a, b), "ttk")
    assert len(graph.edges()) == (a - 1) * b + a * (b - 1) + (a - 1) * (b - 1)


def test_grid_coordinates_follow_axes():
    axes = [np.linspace(-1, 1, 3), np.array([0.0, 10.0])]
    graph = grid_graph((3, 2), "axis", axes)
    assert np.allclose(graph.coords[np.ravel_multi_index((2, 1), (3, 2))], [1.0, 10.0])


def test_knn_graph_matches_brute_force():
    points = np.random.default_rng(0).random((60, 3))
    k = 5
    graph = knn_graph(points, k)
    distance = cdist(points, points)
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1)[:, :k]
    expected = [set() for _ in points]
    for v, row in enumerate(nearest):
        for u in row.tolist():
            expected[v].add(u)
            expected[u].add(v)
    assert neighbour_sets(graph) == expected
    assert graph.degrees.min() >= k
    assert_simple_symmetric(graph)


def test_knn_on_a_grid_interior_is_the_eight_neighbourhood():
    """Paper T's k = 8 on a regular grid: the 3 x 3 block, plus edges that boundary vertices reach in."""
    axes = [np.linspace(-1, 1, 9), np.linspace(-1, 1, 9)]
    knn, full = landscape_graph(axes, "knn", 8), grid_graph((9, 9), "full")
    knn_sets, full_sets = neighbour_sets(knn), neighbour_sets(full)
    inner = [i * 9 + j for i in range(1, 8) for j in range(1, 8)]
    assert all(knn_sets[v] >= full_sets[v] for v in inner)
    deep = [i * 9 + j for i in range(3, 6) for j in range(3, 6)]
    assert all(knn_sets[v] == full_sets[v] for v in deep)


def test_unknown_connectivity_is_named():
    with pytest.raises(ValueError, match="diagonal"):
        landscape_graph([np.arange(3.0)] * 2, "diagonal")

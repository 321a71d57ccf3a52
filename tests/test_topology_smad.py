"""SMAD and basin metrics against hand-computed landscapes and a brute-force sub-level-set oracle."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from losstopo.topology import grid_graph, landscape_topology, load_topology, merge_tree, save_topology
from losstopo.topology.smad import basin_metrics, descent_minimum, landscape_basin_metrics


def metrics_of(values: np.ndarray, connectivity: str, axes=None, threshold: float = 0.0):
    graph = grid_graph(values.shape, connectivity, axes)
    return basin_metrics(merge_tree(values.ravel(), graph, threshold), graph)


def test_two_wells_on_a_line():
    """Losses 3 0 2 1 4: minima 0 and 1 share the saddle 2. Leaf-arc gaps 2 and 1, SMAD 1.5, range 4.
    Steepest descent: the saddle (2) drops 2 to the left, 1 to the right, so basins {0,1,2} and {3,4};
    weighted SMAD = (2 * 3/5 + 1 * 2/5) / 2 = 0.8. Depths: 4 - 0 (global) and 2 - 1."""
    m = metrics_of(np.array([3.0, 0.0, 2.0, 1.0, 4.0]), "ttk")
    assert (m.smad, m.smad_normalised, m.loss_range) == (1.5, 0.375, 4.0)
    assert m.smad_weighted == pytest.approx(0.8) and m.smad_weighted_normalised == pytest.approx(0.2)
    np.testing.assert_array_equal(m.minimum_vertex, [1, 3])
    np.testing.assert_array_equal(m.saddle_vertex, [2, 2])
    np.testing.assert_array_equal(m.gaps, [2.0, 1.0])
    np.testing.assert_array_equal(m.basin_sizes, [3, 2])
    np.testing.assert_array_equal(m.basin_depths, [4.0, 1.0])
    np.testing.assert_array_equal(m.vertex_basin, [0, 0, 0, 1, 1])
    assert (m.n_basins, m.n_pairs) == (2, 2)


GRID = np.array([[0.0, 3.0, 6.0],
                 [4.0, 8.0, 5.0],
                 [7.0, 2.0, 1.0]])


def test_two_wells_on_a_3x3_grid():
    """4-neighbour 3x3 grid, minima 0 (vertex 0) and 1 (vertex 8); the sweep joins them at 6 (vertex 2,
    between 3 and 5). Gaps 6 and 5: SMAD 5.5, range 8. Steepest descent by loss (unit steps): 3->0, 4->0,
    6->3 (drop 3 beats 1), 2->1, 5->1, 7->2 (drop 5 beats 3), 8->2 (drop 6): basins of sizes 4 and 5,
    weighted SMAD (6 * 4/9 + 5 * 5/9) / 2 = 49/18. Depths 8 - 0 and 6 - 1."""
    m = metrics_of(GRID, "axis")
    assert (m.smad, m.smad_normalised) == (5.5, 5.5 / 8)
    assert m.smad_weighted == pytest.approx(49 / 18) and m.smad_weighted_normalised == pytest.approx(49 / 144)
    np.testing.assert_array_equal(m.minimum_vertex, [0, 8])
    np.testing.assert_array_equal(m.saddle_vertex, [2, 2])
    np.testing.assert_array_equal(m.basin_sizes, [4, 5])
    np.testing.assert_array_equal(m.basin_depths, [8.0, 5.0])
    np.testing.assert_array_equal(m.vertex_basin, [0, 0, 0, 0, 1, 1, 1, 1, 1])


def test_descent_measures_slopes_in_coordinates():
    """Rows 0.1 apart, columns 1 apart: loss 6 now drops 1/0.1 = 10 down its column to 5 (not 3 along its
    row), and 7 drops 3/0.1 = 30 up to 4: vertices 2 and 6 swap basins; sizes stay 4 and 5."""
    m = metrics_of(GRID, "axis", [np.array([0.0, 0.1, 0.2]), np.array([0.0, 1.0, 2.0])])
    np.testing.assert_array_equal(m.vertex_basin, [0, 0, 1, 0, 1, 1, 0, 1, 1])
    np.testing.assert_array_equal(m.basin_sizes, [4, 5])
    assert m.smad == 5.5


def test_persistence_threshold_leaves_one_basin_with_no_pair():
    """Above the second well's persistence (5) the tree keeps one basin: no leaf arc ends at a saddle,
    SMAD is 0 (as in Landscaper), the basin holds all 9 vertices and is 8 deep."""
    m = metrics_of(GRID, "axis", threshold=5.5)
    assert (m.smad, m.smad_normalised, m.smad_weighted, m.n_pairs) == (0.0, 0.0, 0.0, 0)
    np.testing.assert_array_equal(m.saddle_vertex, [-1])
    assert np.isnan(m.gaps).all()
    np.testing.assert_array_equal(m.basin_sizes, [9])
    np.testing.assert_array_equal(m.basin_depths, [8.0])


def test_three_gaussian_wells_separable_in_2d():
    """f(x, y) = g(x) + h(y): three Gaussian wells along x times a parabola across y, on a 4-neighbour
    grid with unequal spacings. Its minima, saddles and basins are g's, found in 1-D: wells at g's local
    minima in the centre row, saddles at g's barrier maxima there. A well's leaf arc ends at its lower
    adjacent barrier (h cancels in the gap); the shallowest well dies at its first barrier, the middle
    one where its path to the deepest crosses the higher barrier, the deepest at the global max. A
    column's descent moves along x exactly as g's 1-D steepest descent, so a basin is a 1-D basin times
    all rows; a barrier vertex falls to the side of its larger drop."""
    x, y = np.linspace(-3.0, 3.0, 25), np.linspace(-1.0, 1.0, 7)
    g = -sum(a * np.exp(-(x - c) ** 2 / 0.5) for a, c in [(1.0, -2.0), (0.6, 0.0), (0.8, 2.1)])
    h = 0.3 * y**2
    values = g[:, None] + h[None, :]
    wells = np.flatnonzero((g[1:-1] < g[:-2]) & (g[1:-1] < g[2:])) + 1
    assert len(wells) == 3
    b1 = wells[0] + np.argmax(g[wells[0]:wells[1]])
    b2 = wells[1] + np.argmax(g[wells[1]:wells[2]])
    centre = 3

    m = metrics_of(values, "axis", [x, y])

    np.testing.assert_array_equal(m.minimum_vertex, (wells * len(y) + centre)[np.argsort(g[wells])])
    gaps_by_well = np.array([g[b1], min(g[b1], g[b2]), g[b2]]) - g[wells]
    first_barrier = np.array([b1, b1 if g[b1] < g[b2] else b2, b2])
    order = np.argsort(g[wells])  # basins come in increasing loss of their minima
    np.testing.assert_allclose(m.gaps, gaps_by_well[order], rtol=1e-12)
    np.testing.assert_array_equal(m.saddle_vertex, (first_barrier * len(y) + centre)[order])
    assert m.smad == pytest.approx(gaps_by_well.mean(), rel=1e-12)
    assert m.loss_range == pytest.approx(values.max() - values.min(), rel=1e-12)

    deepest, shallowest = np.argmin(g[wells]), np.argmax(g[wells])
    assert (deepest, shallowest) == (0, 1)  # the middle well is the shallowest, the deepest is at an end
    depths = np.empty(3)
    depths[deepest] = values.max() - values.min()
    depths[shallowest] = gaps_by_well[shallowest]
    depths[3 - deepest - shallowest] = max(g[b1], g[b2]) - g[wells[3 - deepest - shallowest]]
    np.testing.assert_allclose(m.basin_depths, depths[order], rtol=1e-12)

    left = [g[b] - g[b - 1] > g[b] - g[b + 1] for b in (b1, b2)]
    rows = np.diff(np.r_[0, b1 + left[0], b2 + left[1], len(x)])
    np.testing.assert_array_equal(m.basin_sizes, (rows * len(y))[order])
    fractions = rows * len(y) / values.size
    assert m.smad_weighted == pytest.approx(np.mean(gaps_by_well * fractions), rel=1e-12)


def naive_basin_metrics(values: np.ndarray, graph) -> dict[str, np.ndarray]:
    """Leaf-arc gaps, depths and descent basins by brute force, for distinct values: grow the sub-level
    set one value at a time, label its components from scratch, and note for each minimum the first
    level where its component holds another minimum (first saddle) and an older one (death); walk each
    vertex downhill by the steepest slope, one step at a time."""
    n = len(values)
    neighbours = [graph.indices[graph.indptr[v]:graph.indptr[v + 1]] for v in range(n)]
    minima = [v for v in np.argsort(values) if (values[neighbours[v]] > values[v]).all()]
    first_saddle, death = {}, {minima[0]: values.max()}
    edges = graph.edges()
    for level in np.sort(values):
        below = values <= level
        keep = below[edges[:, 0]] & below[edges[:, 1]]
        adjacency = coo_matrix((np.ones(keep.sum()), (edges[keep, 0], edges[keep, 1])), shape=(n, n))
        labels = connected_components(adjacency, directed=False)[1]
        for rank, m in enumerate(minima):
            if not below[m]:
                continue
            mates = [u for u in minima if u != m and below[u] and labels[u] == labels[m]]
            if mates and m not in first_saddle:
                first_saddle[m] = level
            if any(minima.index(u) < rank for u in mates) and m not in death:
                death[m] = level

    def sink(v: int) -> int:
        while True:
            lower = [u for u in neighbours[v] if values[u] < values[v]]
            if not lower:
                return v
            slopes = [(values[v] - values[u]) / np.linalg.norm(graph.coords[v] - graph.coords[u])
                      for u in lower]
            v = lower[int(np.argmax(slopes))]

    sinks = np.array([sink(v) for v in range(n)])
    return {
        "minimum_vertex": np.array(minima),
        "gaps": np.array([first_saddle[m] - values[m] for m in minima]),
        "basin_depths": np.array([death[m] - values[m] for m in minima]),
        "basin_sizes": np.array([np.sum(sinks == m) for m in minima]),
        "descent": sinks,
    }


@pytest.mark.parametrize("connectivity", ["ttk", "full", "axis"])
def test_random_landscape_matches_brute_force(connectivity):
    values = gaussian_filter(np.random.default_rng(7).standard_normal((11, 13)), 1.0, mode="nearest")
    axes = [np.linspace(-1.0, 1.0, 11), np.linspace(-0.5, 0.5, 13)]
    graph = grid_graph(values.shape, connectivity, axes)
    m = basin_metrics(merge_tree(values.ravel(), graph), graph)
    expected = naive_basin_metrics(values.ravel(), graph)
    assert m.n_basins > 4
    np.testing.assert_array_equal(descent_minimum(values, graph), expected["descent"])
    np.testing.assert_array_equal(m.minimum_vertex, expected["minimum_vertex"])
    np.testing.assert_allclose(m.gaps, expected["gaps"], rtol=0, atol=0)
    np.testing.assert_allclose(m.basin_depths, expected["basin_depths"], rtol=0, atol=0)
    np.testing.assert_array_equal(m.basin_sizes, expected["basin_sizes"])
    fractions = expected["basin_sizes"] / values.size
    loss_range = values.max() - values.min()
    assert m.smad == pytest.approx(expected["gaps"].mean(), rel=1e-12)
    assert m.smad_normalised == pytest.approx(expected["gaps"].mean() / loss_range, rel=1e-12)
    assert m.smad_weighted == pytest.approx(np.mean(expected["gaps"] * fractions), rel=1e-12)


def test_from_a_saved_topology_with_failed_evaluations(tmp_path):
    """NaN losses are walls at the top (the topology's fill): the metrics of a saved and reloaded topology
    equal those of the filled landscape on a freshly built graph."""
    loss = gaussian_filter(np.random.default_rng(3).standard_normal((9, 9)), 1.0, mode="nearest")
    loss[0, :3] = np.nan
    axes = [np.linspace(-1.0, 1.0, 9), np.linspace(-1.0, 1.0, 9)]
    topology = landscape_topology(loss, axes)
    save_topology(topology, tmp_path / "topology.npz")
    reloaded = landscape_basin_metrics(load_topology(tmp_path / "topology.npz"))
    filled = np.where(np.isnan(loss), np.nanmax(loss), loss)
    direct = metrics_of(filled, "ttk", axes)
    assert reloaded.summary() == direct.summary()
    np.testing.assert_array_equal(reloaded.vertex_basin, direct.vertex_basin)
    assert reloaded.loss_range == pytest.approx(np.nanmax(loss) - np.nanmin(loss))

"""Landscape profiles: at each level the terrain's sub-level runs are the landscape's components."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from losstopo.topology import LandscapeProfile, grid_graph, landscape_profile, merge_tree


def component_sizes(values: np.ndarray, edges: np.ndarray, level: float) -> list[int]:
    """Sizes of the connected components of {v : values[v] <= level} in the graph."""
    inside = values <= level
    sub = edges[inside[edges[:, 0]] & inside[edges[:, 1]]]
    adjacency = coo_matrix((np.ones(len(sub)), (sub[:, 0], sub[:, 1])), shape=(len(values),) * 2)
    label = connected_components(adjacency, directed=False)[1]
    sizes = np.bincount(label[inside])
    return sorted(sizes[sizes > 0].tolist())


def run_sizes(profile: LandscapeProfile, level: float) -> list[int]:
    """Columns per maximal run of the terrain polyline at or below `level` (rims are not columns)."""
    sizes, count = [], 0
    for y, is_column in zip(profile.y, profile.x % 1 == 0.5):
        if y <= level:
            count += int(is_column)
        elif count:
            sizes.append(count)
            count = 0
    return sorted(sizes + ([count] if count else []))


@pytest.mark.parametrize("shape, threshold", [((13, 12), 0.0), ((13, 12), 0.15), ((6, 5, 6), 0.0),
                                              ((4, 4, 4, 4), 0.05)])
def test_profile_sublevel_runs_are_the_sublevel_components(shape, threshold):
    values = gaussian_filter(np.random.default_rng(len(shape)).standard_normal(shape), 0.8).ravel()
    graph = grid_graph(shape, "ttk")
    tree = merge_tree(values, graph, threshold)
    profile = landscape_profile(tree)
    edges = graph.edges()
    for level in np.unique(tree.simplified_values):
        assert run_sizes(profile, level) == component_sizes(tree.simplified_values, edges, level)
    assert tree.n_minima > 1


def test_profile_shape_and_critical_points():
    values = gaussian_filter(np.random.default_rng(9).standard_normal((30, 30)), 1.5).ravel()
    tree = merge_tree(values, grid_graph((30, 30), "ttk"), 0.02)
    profile = landscape_profile(tree)
    assert np.all(np.diff(profile.x) >= 0)
    assert profile.width == values.size
    assert len(profile.minima_x) == tree.n_minima and len(profile.saddles_x) == tree.n_saddles
    assert np.array_equal(np.sort(profile.minima_y), np.sort(tree.branch_birth))
    low = np.interp(profile.minima_x, profile.x, profile.y)
    assert np.allclose(low, profile.minima_y), "minima lie on the terrain"
    back = LandscapeProfile.from_arrays(profile.to_arrays())
    assert np.array_equal(back.x, profile.x) and np.array_equal(back.saddles_y, profile.saddles_y)


def test_single_basin_is_a_funnel():
    axis = np.linspace(-1, 1, 15)
    loss = np.add.outer(axis**2, axis**2)
    profile = landscape_profile(merge_tree(loss.ravel(), grid_graph(loss.shape, "ttk")))
    centre = int(np.argmin(profile.y))
    assert np.all(np.diff(profile.y[:centre + 1]) <= 0) and np.all(np.diff(profile.y[centre:]) >= 0)
    assert abs(profile.x[centre] - loss.size / 2) <= 1

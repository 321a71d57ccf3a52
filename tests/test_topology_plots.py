"""Topology plots draw on a given Axes, label it, mark every critical point, and honour log scales."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from losstopo.plots.topology import draw_topology, plot_merge_tree, plot_persistence_diagram, plot_profile
from losstopo.topology import landscape_topology


@pytest.fixture(scope="module")
def topology():
    axis = np.linspace(-1, 1, 25)
    noise = gaussian_filter(np.random.default_rng(0).standard_normal((25, 25)), 1.5)
    return landscape_topology(1.0 + 0.3 * np.add.outer(axis**2, axis**2) + noise, [axis, axis],
                              persistence_threshold=0.01)


@pytest.mark.parametrize("log_scale", [False, True])
def test_plot_profile(topology, log_scale):
    fig, (ax, ax_tree) = plt.subplots(1, 2)
    plot_profile(ax, topology, log_scale=log_scale, colorbar=True)
    plot_profile(ax_tree, topology.tree, log_scale=log_scale)
    for a in (ax, ax_tree):
        assert a.get_ylabel() == "loss" and a.get_xlabel()
        assert a.get_yscale() == ("log" if log_scale else "linear")
        labelled = {c.get_label(): len(c.get_offsets()) for c in a.collections
                    if c.get_label() in ("minima", "saddles")}
        assert labelled == {"minima": topology.metrics.n_minima, "saddles": topology.metrics.n_saddles}
    assert len(fig.axes) == 3, "the colourbar got its own axes"
    plt.close(fig)


def test_plot_merge_tree_and_diagram(topology):
    assert topology.metrics.n_saddles > 3
    fig, (ax_tree, ax_diagram) = plt.subplots(1, 2)
    plot_merge_tree(ax_tree, topology, colorbar=True)
    plot_persistence_diagram(ax_diagram, topology, cmap="magma", colorbar=True, log_scale=True)
    tree_points = {c.get_label(): len(c.get_offsets()) for c in ax_tree.collections if c.get_label() in
                   ("minima", "saddles", "root")}
    metrics = topology.metrics
    assert tree_points == {"minima": metrics.n_minima, "saddles": metrics.n_saddles, "root": 1}
    pairs = {c.get_label(): len(c.get_offsets()) for c in ax_diagram.collections}
    assert pairs["pairs"] == topology.metrics.n_pairs and pairs["essential (closed at max)"] == 1
    assert ax_diagram.get_xscale() == "log" and "birth" in ax_diagram.get_xlabel()
    plt.close(fig)


def test_log_scale_refuses_nonpositive_losses():
    axis = np.linspace(-1, 1, 9)
    topology = landscape_topology(np.add.outer(axis, axis), [axis, axis])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="positive"):
        plot_profile(ax, topology, log_scale=True)
    plt.close(fig)


def test_large_profiles_are_decimated_for_drawing():
    axis = np.linspace(-1, 1, 300)
    noise = gaussian_filter(np.random.default_rng(1).standard_normal((300, 300)), 2.0)
    topology = landscape_topology(np.add.outer(axis**2, axis**2) + 0.1 * noise, [axis, axis])
    fig, ax = plt.subplots()
    plot_profile(ax, topology, max_points=2000)
    outline = ax.lines[0].get_xydata()
    assert len(outline) <= 2000 + 4
    assert outline[:, 1].min() == topology.profile.y.min() and outline[:, 1].max() == topology.profile.y.max()
    plt.close(fig)


def test_the_stage_figure_has_tree_diagram_and_profile(topology, tmp_path):
    draw_topology(tmp_path / "topology.png", topology)
    assert plt.imread(tmp_path / "topology.png").shape == (570, 1950, 4)  # 13 x 3.8 inches at 150 dpi

"""Landscape plots draw onto given Axes: log-spaced contour levels, surfaces, centre slices, overlays."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from losstopo.plots.landscape import (  # noqa: E402
    center_slice,
    draw_landscape_report,
    log_levels,
    plot_center_slices,
    plot_contour,
    plot_surface,
    plot_trajectory,
)


def _bowl(shape):
    axes = [np.linspace(-1, 1, n) for n in shape]
    mesh = np.meshgrid(*axes, indexing="ij")
    return axes, 0.01 + sum((i + 1) * m**2 for i, m in enumerate(mesh))


def test_log_levels_are_geometric_and_skip_nonpositive():
    levels = log_levels(np.array([0.0, -1.0, 1e-3, 10.0, np.nan, np.inf]), 5)
    np.testing.assert_allclose(levels, [1e-3, 1e-2, 1e-1, 1, 10])


def test_contour_surface_and_trajectory(tmp_path):
    axes, values = _bowl((21, 15))
    values[0, 0] = np.nan
    fig = plt.figure()
    ax = fig.add_subplot(1, 2, 1)
    filled = plot_contour(ax, axes, values)
    np.testing.assert_allclose(np.diff(np.log(filled.levels)), np.log(filled.levels[1] / filled.levels[0]))
    assert ax.get_xlim() == (-1, 1)  # direction 0 on the horizontal axis
    coords = np.array([[0.8, 0.6], [0.4, 0.2], [0.0, 0.0]])
    plot_trajectory(ax, coords, explained_variance=np.array([0.9, 0.08]))
    assert ax.get_xlabel() == "PC1 (90.0%)"
    plot_surface(fig.add_subplot(1, 2, 2, projection="3d"), axes, values)
    fig.savefig(tmp_path / "c.png")
    plt.close(fig)
    with pytest.raises(ValueError, match="do not match"):
        plot_contour(plt.figure().gca(), axes, values.T)


def test_center_slices():
    axes, values = _bowl((5, 7, 9, 3))
    plane = center_slice(values, 1, 3)
    np.testing.assert_array_equal(plane, values[2, :, 4, :])
    np.testing.assert_array_equal(center_slice(values, 3, 1), plane.T)
    fig, axs = plt.subplots(2, 3)
    sets = plot_center_slices(list(axs.ravel()), axes, values)
    assert len(sets) == 6 and all(np.array_equal(s.levels, sets[0].levels) for s in sets)
    with pytest.raises(ValueError, match="6 axis pairs"):
        plot_center_slices(list(axs.ravel())[:3], axes, values)
    plt.close("all")


def test_the_stage_figure_draws_the_landscape_or_says_why_not(tmp_path):
    """The landscape stage's .png: contour and surface (2-D), centre slices (3-D), or a message (no finite
    loss)."""
    directions = SimpleNamespace(kind="random", trajectory_coords=None, explained_variance=None)
    sizes = {}
    for name, shape, nan in (("2d", (9, 9), False), ("3d", (5, 5, 5), False), ("nan", (9, 9), True)):
        axes, values = _bowl(shape)
        loss = np.full(shape, np.nan) if nan else values
        meta = {"status": "diverged"}
        report = SimpleNamespace(axes=tuple(axes), loss=loss, directions=directions, meta=meta)
        draw_landscape_report(tmp_path / f"{name}.png", report, f"random directions ({name})")
        sizes[name] = plt.imread(tmp_path / f"{name}.png").shape
    # inches x dpi: 10 x 4.2 at 150; three 4.2 x 3.8 panels at 150; the 6 x 2 message at 100
    assert sizes == {"2d": (630, 1500, 4), "3d": (570, 1890, 4), "nan": (200, 600, 4)}

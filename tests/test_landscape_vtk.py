"""VTK ImageData export: values, axis order (direction 0 = VTK x), origin and spacing read back."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import tiny_regression

from losstopo.landscape import grid_losses, random_directions, read_vti, uniform_axes, write_vti


@pytest.mark.parametrize("shape", [(5, 7), (4, 5, 6), (3, 4, 5, 6)])
def test_vti_roundtrip_keeps_values_and_nonfinite(tmp_path, shape):
    rng = np.random.default_rng(0)
    axes = [np.linspace(-1.0, 1.0, n) * (i + 1) for i, n in enumerate(shape)]
    fields = {"loss": rng.random(shape), "loss_r": rng.random(shape).astype(np.float32)}
    fields["loss"].flat[[2, 5]] = [np.nan, np.inf]
    path = write_vti(tmp_path / "landscape.vti", axes, fields)
    assert path == tmp_path / "landscape.vti"
    image = read_vti(path)
    assert len(image.axes) == len(shape)
    for a, b in zip(image.axes, axes):
        np.testing.assert_array_equal(a, b)
    for name, values in fields.items():
        assert image.fields[name].dtype == values.dtype
        np.testing.assert_array_equal(image.fields[name], values)


def test_direction_zero_is_vtk_x_with_origin_and_spacing(tmp_path):
    axes = [np.linspace(-2.0, 2.0, 5), np.linspace(-1.0, 1.0, 3), np.linspace(0.0, 0.6, 4)]
    along0 = np.broadcast_to(axes[0][:, None, None], (5, 3, 4)).copy()
    path = write_vti(tmp_path / "a", axes, {"f": along0})
    raw = path.read_bytes()
    header = raw[: raw.find(b"<AppendedData")].decode()
    image = re.search(r"<ImageData ([^>]*)>", header).group(1)
    assert 'WholeExtent="0 4 0 2 0 3"' in image
    origin, spacing = (np.array(re.search(rf'{key}="([^"]*)"', image).group(1).split(), dtype=float)
                       for key in ("Origin", "Spacing"))
    assert np.allclose(origin, [-2, -1, 0]) and np.allclose(spacing, [1, 1, 0.2])
    # Read the raw appended block here (UInt64 byte count, then the values in file order). VTK stores
    # points with x fastest: flat index k = x + 5 * (y + 3 * z), so f[k] must be axes[0][k % 5].
    offset = int(re.search(r'Name="f"[^>]*offset="(\d+)"', header).group(1))
    body = raw.index(b"_", raw.find(b"<AppendedData")) + 1 + offset
    nbytes = int(np.frombuffer(raw, "<u8", count=1, offset=body)[0])
    flat = np.frombuffer(raw, "<f8", count=nbytes // 8, offset=body + 8)
    assert flat.size == 60
    np.testing.assert_array_equal(flat, axes[0][np.arange(flat.size) % 5])


def test_landscape_to_vti(tmp_path):
    problem = tiny_regression()
    theta0 = problem.init(0)
    axes = uniform_axes(2, 1.0, 9)
    land = grid_losses(problem, theta0, random_directions(theta0, problem.spec, 2), axes, chunk=20)
    image = read_vti(write_vti(tmp_path / "l.vti", axes, land.terms))
    np.testing.assert_array_equal(image.fields["loss"], land.loss)
    assert image.origin[:2] == (-1.0, -1.0) and image.spacing[:2] == pytest.approx((0.25, 0.25))


def test_uneven_axes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="evenly spaced"):
        write_vti(tmp_path / "x.vti", [np.array([0.0, 1.0, 3.0]), np.arange(2.0)], {"f": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="grid's shape"):
        write_vti(tmp_path / "x.vti", [np.arange(3.0), np.arange(2.0)], {"f": np.zeros((2, 3))})

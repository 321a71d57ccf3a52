"""`.vti` landscapes as ParaView and TTK see them: read with VTK's own XML reader (not ours), each value sits
at the grid point of its landscape coordinates, with the axes' origin and spacing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from conftest import tiny_pinn
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOXML import vtkXMLImageDataReader

from losstopo.landscape import grid_losses, random_directions, write_vti

# Uneven lengths and distances per axis, so a swapped or transposed axis cannot pass.
AXES = {
    2: (np.linspace(-1.0, 1.0, 7), np.linspace(-0.5, 0.5, 5)),
    3: (np.linspace(-1.0, 1.0, 5), np.linspace(-0.5, 0.5, 4), np.linspace(-0.2, 0.4, 3)),
    4: (np.linspace(-1.0, 1.0, 4), np.linspace(-0.5, 0.5, 3), np.linspace(-0.2, 0.4, 3),
        np.linspace(0.0, 1.0, 2)),
}


def vtk_image(path):
    reader = vtkXMLImageDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    assert reader.GetErrorCode() == 0, f"VTK could not read {path}"
    return reader.GetOutput()


@pytest.fixture(scope="module", params=[torch.float64, torch.float32], ids=["float64", "float32"])
def landscapes(request, tmp_path_factory):
    """Real PINN landscapes (loss and its terms) as the landscape script writes them: npz fields and .vti."""
    problem = tiny_pinn(dtype=request.param)
    theta = problem.init(0)
    out = {}
    for dim, axes in AXES.items():
        land = grid_losses(problem, theta, random_directions(theta, problem.spec, dim, seed=dim), axes)
        fields = {"loss" if k == "loss" else f"loss_{k}": np.asarray(v) for k, v in land.terms.items()}
        path = write_vti(tmp_path_factory.mktemp(f"vti{dim}") / f"landscape_random_{dim}d.vti", axes, fields)
        out[dim] = (path, axes, fields)
    return out


@pytest.mark.parametrize("dim", [2, 3])
def test_vtk_reads_grid_geometry_of_the_axes(landscapes, dim):
    path, axes, _ = landscapes[dim]
    image = vtk_image(path)
    shape = tuple(len(a) for a in axes)
    assert image.GetDimensions() == (shape + (1,))[:3]
    np.testing.assert_allclose(image.GetOrigin()[:dim], [a[0] for a in axes], rtol=0, atol=1e-12)
    np.testing.assert_allclose(image.GetSpacing()[:dim], [a[1] - a[0] for a in axes], rtol=1e-12)
    bounds = image.GetBounds()
    for i, a in enumerate(axes):
        assert bounds[2 * i: 2 * i + 2] == pytest.approx((a[0], a[-1]), abs=1e-12)


@pytest.mark.parametrize("dim", [2, 3])
def test_vtk_value_at_each_landscape_point_is_the_npz_value(landscapes, dim):
    """VTK locates each grid coordinate (a_0, a_1[, a_2]) itself; the value there must be field[i, j[, k]]."""
    path, axes, fields = landscapes[dim]
    image = vtk_image(path)
    data = image.GetPointData()
    assert {data.GetArrayName(i) for i in range(data.GetNumberOfArrays())} == set(fields)
    for name, values in fields.items():
        vtk_values = vtk_to_numpy(data.GetArray(name))
        assert vtk_values.dtype == values.dtype
        for index in itertools.product(*(range(len(a)) for a in axes)):
            point = [a[i] for a, i in zip(axes, index)] + [0.0] * (3 - dim)
            point_id = image.FindPoint(point)
            assert np.allclose(image.GetPoint(point_id), point, atol=1e-12)
            assert vtk_values[point_id] == values[index], (name, index)


def test_vtk_reads_4d_landscape_as_one_3d_array_per_fourth_index(landscapes):
    path, axes, fields = landscapes[4]
    image = vtk_image(path)
    assert image.GetDimensions() == tuple(len(a) for a in axes[:3])
    data = image.GetPointData()
    for name, values in fields.items():
        for j in range(len(axes[3])):
            flat = vtk_to_numpy(data.GetArray(f"{name}_a3_{j:03d}"))
            # VTK orders points with x (axis 0) fastest: Fortran order of the [n0, n1, n2] block.
            np.testing.assert_array_equal(flat, values[..., j].ravel(order="F"))

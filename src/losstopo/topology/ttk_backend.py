"""TTK as an optional backend: the same persistence pairs from TTK's PersistenceDiagram filter.

Only usable where `topologytoolkit` imports (the conda env `envs/ttk.yaml`); TTK does not install
from PyPI. TTK triangulates a regular 1-3-D grid implicitly with the `ttk` connectivity and breaks
ties by vertex index, so its pairs must equal `persistence_pairs(merge_tree(values, grid_graph(shape)))`.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from losstopo.topology.persistence import PersistencePairs

ARRAY_NAME = "loss"


def available() -> bool:
    """Whether TTK's Python module can be imported here."""
    return importlib.util.find_spec("topologytoolkit") is not None


def ttk_persistence_pairs(loss: np.ndarray) -> PersistencePairs:
    """The minimum-saddle pairs (and the essential minimum-maximum pair) of a 1-3-D grid field, by TTK."""
    if not available():
        raise ImportError("topologytoolkit is not importable; create the conda env envs/ttk.yaml to use TTK")
    from topologytoolkit import ttkPersistenceDiagram
    from vtkmodules.util.numpy_support import vtk_to_numpy

    diagram = ttkPersistenceDiagram()
    diagram.SetInputDataObject(_image(loss))
    diagram.SetInputArrayToProcess(0, 0, 0, 0, ARRAY_NAME)
    diagram.Update()
    output = diagram.GetOutput()
    cells, points = output.GetCellData(), output.GetPointData()
    pair_id = vtk_to_numpy(cells.GetArray("PairIdentifier"))
    pair_type = vtk_to_numpy(cells.GetArray("PairType"))
    is_finite = vtk_to_numpy(cells.GetArray("IsFinite")).astype(bool)
    birth = vtk_to_numpy(cells.GetArray("Birth")).astype(np.float64)
    persistence = vtk_to_numpy(cells.GetArray("Persistence")).astype(np.float64)
    vertex = vtk_to_numpy(points.GetArray("ttkVertexScalarField")).astype(np.int64)
    pick = np.flatnonzero((pair_id >= 0) & (pair_type == 0))
    pick = pick[np.argsort(birth[pick], kind="stable")]
    return PersistencePairs(
        birth=birth[pick],
        death=birth[pick] + persistence[pick],
        birth_vertex=vertex[2 * pick],
        death_vertex=vertex[2 * pick + 1],
        essential=~is_finite[pick],
    )


def _image(loss: np.ndarray):
    """A vtkImageData holding `loss` with the array's last axis as x (C order = VTK point order)."""
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonDataModel import vtkImageData

    loss = np.asarray(loss, dtype=np.float64)
    if not 1 <= loss.ndim <= 3:
        raise ValueError(f"TTK grids have 1 to 3 axes, this landscape has {loss.ndim}; "
                         "use merge_tree instead")
    image = vtkImageData()
    image.SetDimensions(*(list(loss.shape[::-1]) + [1, 1])[:3])
    array = numpy_to_vtk(np.ascontiguousarray(loss).ravel(), deep=True)
    array.SetName(ARRAY_NAME)
    image.GetPointData().AddArray(array)
    return image

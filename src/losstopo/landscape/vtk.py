"""VTK ImageData (`.vti`) export of a landscape, for ParaView / TTK, and a reader for checks.

Grid axis i (direction i) is VTK's x, y, z for i = 0, 1, 2; origin and spacing come from the axes.
2-D grids are a z-thickness-one image. VTK images stop at three dimensions, so a 4-D grid is written
as one 3-D array per index along the fourth axis, named `<term>_a3_<index>`. The axes are also kept
exactly in FieldData (`axis_<i>`), which the reader uses to rebuild the landscape's own shape.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyevtk.hl import imageToVTK

VTK_TYPES = {"Float32": np.float32, "Float64": np.float64, "Int32": np.int32, "Int64": np.int64,
             "UInt8": np.uint8, "Int8": np.int8, "UInt32": np.uint32, "UInt64": np.uint64}


@dataclass(frozen=True)
class VtiImage:
    """A landscape read back from a `.vti`: its axes and every field on the grid (axis i = direction i)."""

    axes: tuple[np.ndarray, ...]
    fields: dict[str, np.ndarray]
    origin: tuple[float, float, float]
    spacing: tuple[float, float, float]


def _origin_spacing(axes: Sequence[np.ndarray]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """VTK origin and spacing of the first three axes (padded to 3-D), which must be evenly spaced."""
    origin, spacing = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    for i, a in enumerate(axes[:3]):
        steps = np.diff(a)
        if len(a) < 2 or not np.allclose(steps, steps[0], rtol=1e-9, atol=0.0) or steps[0] <= 0:
            raise ValueError(f"axis {i} must be increasing and evenly spaced for VTK ImageData")
        origin[i], spacing[i] = float(a[0]), float(steps[0])
    return tuple(origin), tuple(spacing)


def write_vti(path: str | Path, axes: Sequence[np.ndarray], fields: dict[str, np.ndarray]) -> Path:
    """Write every field (shape = the grid's, 2-D to 4-D) as point data of one `.vti`; returns its path."""
    axes = [np.asarray(a, dtype=np.float64) for a in axes]
    shape = tuple(len(a) for a in axes)
    if not 2 <= len(shape) <= 4:
        raise ValueError(f"VTK export supports 2-D to 4-D grids, got {len(shape)}-D")
    bad = {k: v.shape for k, v in fields.items() if v.shape != shape}
    if bad:
        raise ValueError(f"every field must have the grid's shape {shape}, got {bad}")
    origin, spacing = _origin_spacing(axes)
    image_shape = (shape + (1, 1))[:3]
    point_data: dict[str, np.ndarray] = {}
    for name, values in fields.items():
        if len(shape) == 4:
            for j in range(shape[3]):
                point_data[f"{name}_a3_{j:03d}"] = np.ascontiguousarray(values[..., j])
        else:
            point_data[name] = np.ascontiguousarray(values.reshape(image_shape))
    field_data = {f"axis_{i}": a for i, a in enumerate(axes)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = str(path.with_suffix("")) if path.suffix == ".vti" else str(path)
    return Path(imageToVTK(stem, origin=origin, spacing=spacing, pointData=point_data, fieldData=field_data))


def _read_arrays(raw: bytes) -> tuple[ET.Element, dict[str, dict[str, np.ndarray]]]:
    """The XML header and the appended arrays ({"PointData"/"FieldData": {name: flat array}})."""
    cut = raw.find(b"<AppendedData")
    if cut < 0:
        raise ValueError("not a VTK XML file with appended data")
    root = ET.fromstring(raw[:cut].decode() + "</VTKFile>")
    body = raw.index(b"_", raw.index(b">", cut)) + 1
    order = "<" if root.get("byte_order", "LittleEndian") == "LittleEndian" else ">"
    header = np.dtype(order + ("u8" if root.get("header_type") == "UInt64" else "u4"))
    arrays: dict[str, dict[str, np.ndarray]] = {"PointData": {}, "FieldData": {}}
    for section in arrays:
        for node in root.iter(section):
            for array in node.iter("DataArray"):
                start = body + int(array.get("offset"))
                nbytes = int(np.frombuffer(raw, header, count=1, offset=start)[0])
                dtype = np.dtype(VTK_TYPES[array.get("type")]).newbyteorder(order)
                arrays[section][array.get("Name")] = np.frombuffer(
                    raw, dtype, count=nbytes // dtype.itemsize, offset=start + header.itemsize
                ).astype(dtype.newbyteorder("="))
    return root, arrays


def read_vti(path: str | Path) -> VtiImage:
    """Read a `.vti` (as written by `write_vti`) back into the landscape's own axes and N-D fields."""
    root, arrays = _read_arrays(Path(path).read_bytes())
    image = root.find("ImageData")
    extent = [int(v) for v in image.get("WholeExtent").split()]
    image_shape = tuple(extent[2 * i + 1] - extent[2 * i] + 1 for i in range(3))
    origin = tuple(float(v) for v in image.get("Origin").split())
    spacing = tuple(float(v) for v in image.get("Spacing").split())
    names = sorted((n for n in arrays["FieldData"] if re.fullmatch(r"axis_\d+", n)), key=lambda n: int(n[5:]))
    if names:
        axes = tuple(arrays["FieldData"][n] for n in names)
    else:  # a foreign file: rebuild the axes from origin and spacing, dropping flat dimensions
        axes = tuple(origin[i] + spacing[i] * np.arange(n) for i, n in enumerate(image_shape) if n > 1)
    shape = tuple(len(a) for a in axes)
    flat = {name: v.reshape(image_shape, order="F") for name, v in arrays["PointData"].items()}
    if len(shape) == 4:
        slices: dict[str, dict[int, np.ndarray]] = {}
        for name, values in flat.items():
            match = re.fullmatch(r"(.+)_a3_(\d+)", name)
            slices.setdefault(match.group(1), {})[int(match.group(2))] = values
        fields = {name: np.stack([parts[j] for j in range(shape[3])], axis=3)
                  for name, parts in slices.items()}
    else:
        fields = {name: values.reshape(shape) for name, values in flat.items()}
    return VtiImage(axes, fields, origin, spacing)

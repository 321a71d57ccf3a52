"""Landscape engine: directions, batched N-D grid evaluation, resumable output and VTK export."""

from losstopo.landscape.directions import (
    Directions,
    cosine_matrix,
    given_directions,
    normalize_directions,
    pca_directions,
    random_directions,
    target_direction,
)
from losstopo.landscape.grid import Landscape, grid_coordinates, grid_losses, plan_chunk, uniform_axes
from losstopo.landscape.store import ChunkStore
from losstopo.landscape.vtk import VtiImage, read_vti, write_vti

__all__ = [
    "ChunkStore",
    "Directions",
    "Landscape",
    "VtiImage",
    "cosine_matrix",
    "given_directions",
    "grid_coordinates",
    "grid_losses",
    "normalize_directions",
    "pca_directions",
    "plan_chunk",
    "random_directions",
    "read_vti",
    "target_direction",
    "uniform_axes",
    "write_vti",
]

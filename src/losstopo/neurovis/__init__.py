"""Neuro-Visualizer (paper N): auto-encoder views of training trajectories, their decoded-grid loss
landscapes, and the PCA / kernel PCA / UMAP baselines they are compared with."""

from losstopo.neurovis.autoencoder import (
    AEFit,
    AESettings,
    NeuroVisualizerAE,
    auto_hidden_sizes,
    fit_autoencoder,
)
from losstopo.neurovis.baselines import kpca_projection, pca_projection, umap_projection
from losstopo.neurovis.data import Normaliser, TrajectorySet, trajectory_set
from losstopo.neurovis.density import cka_density, cka_similarity
from losstopo.neurovis.landscape import decode_grid, decoded_landscape, evaluate_models
from losstopo.neurovis.metrics import e_proj, e_relative, projection_errors, relative_loss_errors
from losstopo.neurovis.projection import Projection, nv_projection, square_axes, unit_axes
from losstopo.neurovis.result import ProjectionResult, evaluate_projection

METHODS = ("nv", "pca", "kpca", "umap")

__all__ = [
    "METHODS",
    "AEFit",
    "AESettings",
    "NeuroVisualizerAE",
    "Normaliser",
    "Projection",
    "ProjectionResult",
    "TrajectorySet",
    "auto_hidden_sizes",
    "cka_density",
    "cka_similarity",
    "decode_grid",
    "decoded_landscape",
    "e_proj",
    "e_relative",
    "evaluate_models",
    "evaluate_projection",
    "fit_autoencoder",
    "kpca_projection",
    "nv_projection",
    "pca_projection",
    "projection_errors",
    "relative_loss_errors",
    "square_axes",
    "trajectory_set",
    "umap_projection",
    "unit_axes",
]

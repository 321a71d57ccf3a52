"""The baselines Neuro-Visualizer is compared with (paper N, Table 1): PCA, kernel PCA and UMAP.

Each is fitted on the normalised models, like the auto-encoder, and returns a `Projection`: the models'
2-D coordinates, a decoder from the plane back to parameters, and the reconstructions rec(m).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import Tensor

from losstopo.neurovis.data import TrajectorySet
from losstopo.neurovis.projection import Projection, square_axes


def pca_projection(data: TrajectorySet, resolution: int, margin: float = 0.1) -> Projection:
    """Li et al. (2018): the plane through the final model spanned by the top-2 principal directions of
    (checkpoints - final model); rec(m) is the orthogonal projection of m onto that plane."""
    start = time.perf_counter()
    x = data.x.double()
    centre = x[-1]
    _, s, vh = torch.linalg.svd(x - centre, full_matrices=False)
    basis = vh[:2]
    coords = ((x - centre) @ basis.T).numpy()

    def decode(z: np.ndarray) -> Tensor:
        return centre + torch.as_tensor(z, dtype=torch.float64) @ basis

    variance = (s**2 / (s**2).sum()).numpy()
    return Projection("pca", coords, square_axes(coords, resolution, margin), decode, decode(coords),
                      time.perf_counter() - start, {"explained_variance": variance[:2].tolist()})


def kpca_projection(data: TrajectorySet, resolution: int, seed: int = 0, margin: float = 0.1) -> Projection:
    """Kernel PCA (RBF kernel, sklearn's default gamma = 1/P) with its learned pre-image map as decoder."""
    from sklearn.decomposition import KernelPCA

    start = time.perf_counter()
    x = data.x.double().numpy()
    kpca = KernelPCA(n_components=2, kernel="rbf", fit_inverse_transform=True, random_state=seed)
    coords = kpca.fit_transform(x)

    def decode(z: np.ndarray) -> Tensor:
        return torch.as_tensor(kpca.inverse_transform(np.asarray(z, dtype=np.float64)))

    return Projection("kpca", coords, square_axes(coords, resolution, margin), decode, decode(coords),
                      time.perf_counter() - start, {"gamma": float(kpca.gamma_)})


def umap_projection(data: TrajectorySet, resolution: int, seed: int = 0, n_neighbors: int = 5,
                    margin: float = 0.1) -> Projection:
    """UMAP (umap-learn, seeded, so single-threaded; 5 neighbours as in the authors' baseline script) with its
    inverse transform as decoder."""
    from umap import UMAP

    start = time.perf_counter()
    x = data.x.double().numpy()
    reducer = UMAP(n_components=2, n_neighbors=min(n_neighbors, len(x) - 1), random_state=seed,
                   n_jobs=1)
    coords = reducer.fit_transform(x).astype(np.float64)

    def decode(z: np.ndarray) -> Tensor:
        return torch.as_tensor(reducer.inverse_transform(np.asarray(z, dtype=np.float64))).double()

    return Projection("umap", coords, square_axes(coords, resolution, margin), decode, decode(coords),
                      time.perf_counter() - start, {"n_neighbors": reducer.n_neighbors})

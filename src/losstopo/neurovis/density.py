"""Grid density of a decoded landscape (paper N eq. 5): rho_m = sum over m' != m of CKA(m', m).

CKA here is the centred-kernel alignment of the decoded models' parameter vectors, as in the authors'
released code: the linear kernel of the models centred on their mean model, normalised to a cosine and
mapped from [-1, 1] to [0, 1]. (Kornblith et al.'s CKA compares activations on inputs, which the
`Problem` interface does not expose.) Dense where many decoded models point alike, i.e. where the grid
zooms in.
"""

from __future__ import annotations

import numpy as np


def cka_similarity(models: np.ndarray) -> np.ndarray:
    """[G, G] similarities in [0, 1] of G parameter vectors [G, P] (1 on the diagonal)."""
    models = np.asarray(models, dtype=np.float64)
    if models.ndim != 2 or models.shape[0] < 2:
        raise ValueError(f"need [G >= 2, P] model vectors, got {models.shape}")
    centred = models - models.mean(axis=0)
    gram = centred @ centred.T
    norms = np.sqrt(np.clip(np.diag(gram), 1e-300, None))
    return np.clip((gram / np.outer(norms, norms) + 1) / 2, 0.0, 1.0)


def cka_density(models: np.ndarray) -> np.ndarray:
    """rho_m (eq. 5) of every model [G]: its summed similarity to all other models."""
    similarity = cka_similarity(models)
    return similarity.sum(axis=1) - np.diag(similarity)

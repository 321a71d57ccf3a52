"""How faithfully a 2-D view holds the trajectory (paper N, Table 1).

e_relative = mean_i |L(m_i) - L(rec(m_i))| / L(m_i), on the raw models' loss.
e_proj = mean_i ||m_i - rec(m_i)||_2, measured in the normalised space (every coordinate z-scored over
the checkpoints, `losstopo.neurovis.data`), where all methods are fitted. (The authors' released code
measures it between un-normalised vectors; pass raw vectors to get that one.)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def relative_loss_errors(true: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    """|L(m) - L(rec(m))| / L(m) per model."""
    true, reconstructed = np.asarray(true, dtype=float), np.asarray(reconstructed, dtype=float)
    if np.any(true <= 0):
        raise ValueError("e_relative divides by the models' losses, which must be positive")
    return np.abs(true - reconstructed) / true


def projection_errors(x: Tensor, x_rec: Tensor) -> np.ndarray:
    """||m - rec(m)||_2 per model [K] of vectors [K, P] (normalised ones for the table's e_proj)."""
    return torch.linalg.vector_norm(x.double() - x_rec.double(), dim=1).numpy()


def e_relative(true: np.ndarray, reconstructed: np.ndarray) -> float:
    return float(relative_loss_errors(true, reconstructed).mean())


def e_proj(x: Tensor, x_rec: Tensor) -> float:
    return float(projection_errors(x, x_rec).mean())

"""Hessian trace by Hutch++ (Meyer, Musco, Musco, Woodruff 2021): a sketched low-rank part plus Hutchinson.

With a budget of m products, m/3 Rademacher probes S give Q = orth(H S); tr(Q^T H Q) is computed
exactly (m/3 more products) and the rest, tr((I - QQ^T) H (I - QQ^T)), is estimated by Hutchinson with
the remaining m/3 Rademacher probes G, projected off Q. For a spectrum that decays (a neural network's
Hessian: a few outliers and a bulk near zero) the error falls as 1/m, against 1/sqrt(m) for plain
Hutchinson, whose variance the outliers dominate. Once m/3 >= P, Q spans all of R^P: the estimate is
the exact trace up to rounding, and the products left over are not spent. The budget is fixed in
advance; `stderr` is the sampled part's standard error (the low-rank part has none), the evidence of
how far the estimate may be off.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from losstopo.hessian.hvp import Operator
from losstopo.hessian.lanczos import random_vector


@dataclass(frozen=True)
class HutchppResult:
    """The trace estimate, its exact low-rank and sampled parts, the sampled part's error and its cost."""

    mean: float
    stderr: float
    low_rank: float
    samples: np.ndarray
    rank: int
    n_hvp: int
    seconds: float

    @property
    def n_samples(self) -> int:
        return len(self.samples)


def hutchpp_trace(op: Operator, n_hvp: int = 99, seed: int = 0) -> HutchppResult:
    """tr(H) from `n_hvp` products: a third sketch H's range, a third measure it, a third probe the rest."""
    if n_hvp < 3:
        raise ValueError(f"Hutch++ needs at least 3 Hessian-vector products (one per stage), got {n_hvp}")
    start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    k = n_hvp // 3
    sketch = torch.stack([op(random_vector(op, g, rademacher=True)) for _ in range(k)], dim=1)
    q = torch.linalg.qr(sketch).Q
    low_rank = float(sum(q[:, j] @ op(q[:, j]) for j in range(q.shape[1])))
    exact = q.shape[1] == op.size
    samples = np.array([_projected_sample(op, q, g) for _ in range(0 if exact else n_hvp - k - q.shape[1])])
    if exact:
        stderr = 0.0
    elif samples.size > 1:
        stderr = float(samples.std(ddof=1) / math.sqrt(samples.size))
    else:
        stderr = math.inf
    return HutchppResult(
        mean=low_rank + (float(samples.mean()) if samples.size else 0.0),
        stderr=stderr,
        low_rank=low_rank,
        samples=samples,
        rank=int(q.shape[1]),
        n_hvp=k + q.shape[1] + samples.size,
        seconds=time.perf_counter() - start,
    )


def _projected_sample(op: Operator, q: torch.Tensor, generator: torch.Generator) -> float:
    """z^T H z for a Rademacher z projected off the columns of q: one Hutchinson sample of the rest."""
    z = random_vector(op, generator, rademacher=True)
    z = z - q @ (q.T @ z)
    return float(z @ op(z))

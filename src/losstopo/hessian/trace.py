"""Hessian trace by Hutchinson's estimator with Rademacher probes, stopping on its standard error.

E[z^T H z] = tr(H) for z with independent +-1 entries. Sampling stops once the standard error of the
mean is below `rtol` times |estimate| (PyHessian stops when two running means differ by < tol, which
says little about the error). Given top eigenpairs (Y, theta), the estimate splits exactly into
sum(theta) + tr(P H P) with P = I - Y^T Y, and only the second part is sampled: removing the outlier
eigenvalues, which dominate the variance for neural-network Hessians, cuts the probes needed
(a Hutch++-style deflation that reuses the Lanczos vectors at no extra HVP).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from losstopo.hessian.hvp import Operator
from losstopo.hessian.lanczos import EigenResult, random_vector


@dataclass
class TraceResult:
    """The trace estimate, its standard error, the per-probe samples and the HVPs they cost."""

    mean: float
    stderr: float
    samples: np.ndarray
    deflated: float
    n_hvp: int
    seconds: float

    @property
    def n_samples(self) -> int:
        return len(self.samples)


def hutchinson_trace(op: Operator, rtol: float = 1e-2, max_samples: int = 1000, min_samples: int = 10,
                     seed: int = 0, deflate: EigenResult | None = None) -> TraceResult:
    """tr(H) +- standard error from Rademacher probes, optionally with top eigenpairs deflated."""
    if not 2 <= min_samples <= max_samples:
        raise ValueError(f"need 2 <= min_samples <= max_samples, got {min_samples} and {max_samples}")
    start = time.perf_counter()
    basis = deflate.eigenvectors.to(op.device, op.dtype) if deflate is not None else None
    known = float(deflate.eigenvalues.sum()) if deflate is not None else 0.0
    g = torch.Generator().manual_seed(seed)
    samples: list[float] = []
    mean = spread = 0.0  # running mean and sum of squared deviations (Welford)
    stderr = math.inf
    while len(samples) < max_samples:
        z = random_vector(op, g, rademacher=True)
        if basis is not None:
            z = z - basis.T @ (basis @ z)
        samples.append(float(z @ op(z)))
        n = len(samples)
        delta = samples[-1] - mean
        mean += delta / n
        spread += delta * (samples[-1] - mean)
        if n >= min_samples:
            stderr = math.sqrt(spread / (n - 1) / n)
            if stderr <= rtol * abs(known + mean):
                break
    return TraceResult(
        mean=known + mean,
        stderr=stderr,
        samples=np.asarray(samples),
        deflated=known,
        n_hvp=len(samples),
        seconds=time.perf_counter() - start,
    )

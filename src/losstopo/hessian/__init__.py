"""Curvature engine: Hessian-vector products, top-k eigenpairs, trace and spectral density of a `Problem`."""

from losstopo.hessian.density import SpectralDensity, gaussian_density, quadrature, spectral_density
from losstopo.hessian.hvp import HessianOperator, Operator, loss_parts
from losstopo.hessian.lanczos import EigenResult, lanczos, power_iteration, top_eigen
from losstopo.hessian.trace import TraceResult, hutchinson_trace

__all__ = [
    "EigenResult",
    "HessianOperator",
    "Operator",
    "SpectralDensity",
    "TraceResult",
    "gaussian_density",
    "hutchinson_trace",
    "lanczos",
    "loss_parts",
    "power_iteration",
    "quadrature",
    "spectral_density",
    "top_eigen",
]

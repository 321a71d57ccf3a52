"""Top-k Hessian eigenpairs: Lanczos with full re-orthogonalisation, and deflated power iteration.

Both stop on the Ritz residual ||H y - theta y|| <= tol * max|theta| of every wanted pair, a bound on
the eigenvalue error (residual, and residual^2 / gap when the gap is wide) and on the eigenvector's
angle (residual / gap), unlike PyHessian's relative change of consecutive eigenvalue estimates.
Lanczos keeps an orthonormal Krylov basis (Gram-Schmidt twice per step), so it neither loses
orthogonality nor finds ghost copies; power iteration is the simple, slower alternative.
When the Krylov space becomes invariant (a rank-deficient Hessian, e.g. a saturated model's rank-1 one),
`top_eigen` restarts from a random vector orthogonal to the basis, so it always returns k orthonormal
vectors; the Ritz values of the directions found after a restart into the null space are 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from losstopo.hessian.hvp import Operator

WHICH = ("algebraic", "magnitude")


@dataclass
class EigenResult:
    """Eigenvalues (descending by `which`), unit eigenvectors [k, P] and what computing them cost."""

    eigenvalues: Tensor
    eigenvectors: Tensor
    residuals: Tensor
    n_hvp: int
    converged: bool
    seconds: float
    method: str


@dataclass
class Tridiagonal:
    """A Lanczos run: T's diagonal `alpha` [m], couplings `beta` [m], the orthonormal basis [m, P].

    beta[-1] couples the last basis vector to the next one (the Ritz residuals scale with it); a zero
    beta[j] inside marks a restart, where T splits into blocks. `exhausted` says the basis spans an
    invariant subspace (or all of R^P): its Ritz pairs are exact.
    """

    alpha: Tensor
    beta: Tensor
    basis: Tensor
    exhausted: bool = False

    def ritz(self) -> tuple[Tensor, Tensor]:
        """Ritz values (ascending) and T's eigenvectors [m, m] as columns."""
        m = self.alpha.numel()
        t = torch.diag(self.alpha) + torch.diag(self.beta[: m - 1], 1) + torch.diag(self.beta[: m - 1], -1)
        return torch.linalg.eigh(t)


def random_vector(op: Operator, generator: torch.Generator, rademacher: bool = False) -> Tensor:
    """A seeded Gaussian (or +-1) vector in the operator's dtype and device."""
    if rademacher:
        v = torch.randint(0, 2, (op.size,), generator=generator, dtype=torch.float64) * 2 - 1
    else:
        v = torch.randn(op.size, generator=generator, dtype=torch.float64)
    return v.to(op.device, op.dtype)


def _orthogonalise(w: Tensor, basis: Tensor) -> Tensor:
    """w minus its projection on the orthonormal rows of `basis`, twice (Gram-Schmidt to rounding)."""
    for _ in range(2):
        w = w - basis.T @ (basis @ w)
    return w


def lanczos(op: Operator, start: Tensor, steps: int, stop: Callable[[Tridiagonal], bool] | None = None,
            restart: torch.Generator | None = None) -> Tridiagonal:
    """Up to `steps` Lanczos steps from `start` with full re-orthogonalisation; one HVP per step.

    On an invariant subspace the run ends (`exhausted`), or, given a `restart` generator, goes on from a
    random vector orthogonal to the basis with a zero coupling (T becomes block diagonal).
    """
    steps = min(steps, op.size)
    basis = torch.zeros(min(steps, 32), op.size, dtype=op.dtype, device=op.device)
    alpha = torch.zeros(steps, dtype=torch.float64)
    beta = torch.zeros(steps, dtype=torch.float64)
    q = start / start.norm()
    for j in range(steps):
        if j == len(basis):  # grow by doubling: most runs stop long before `steps`
            more = torch.zeros(min(j, steps - j), op.size, dtype=op.dtype, device=op.device)
            basis = torch.cat([basis, more])
        basis[j] = q
        w = op(q)
        alpha[j] = float(q @ w)
        w = _orthogonalise(w, basis[: j + 1])
        beta[j] = float(w.norm())
        scale = float((alpha[: j + 1].abs() + beta[: j + 1]).max())
        invariant = bool(beta[j] <= 100 * torch.finfo(op.dtype).eps * scale)
        if invariant and restart is not None:
            beta[j] = 0.0
            w = _orthogonalise(random_vector(op, restart), basis[: j + 1])
        exhausted = j + 1 == op.size or (invariant and restart is None)
        run = Tridiagonal(alpha[: j + 1], beta[: j + 1], basis[: j + 1], exhausted)
        if exhausted or (stop is not None and stop(run)):
            return run
        q = w / w.norm()
    return run


def _check(op: Operator, k: int, max_iter: int) -> None:
    if not 1 <= k <= op.size:
        raise ValueError(f"k (number of eigenpairs) must be in 1..{op.size}, got {k}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")


def _pick(values: Tensor, k: int, which: str) -> Tensor:
    key = values if which == "algebraic" else values.abs()
    return torch.argsort(key, descending=True)[:k]


def _canonical_sign(vectors: Tensor) -> Tensor:
    """Unit rows whose largest-magnitude entry is positive, so reruns give the same directions."""
    vectors = vectors / vectors.norm(dim=1, keepdim=True)
    lead = vectors.gather(1, vectors.abs().argmax(dim=1, keepdim=True))
    return vectors * torch.where(lead < 0, -1.0, 1.0).to(vectors.dtype)


def top_eigen(op: Operator, k: int = 1, tol: float = 1e-5, max_iter: int = 100, seed: int = 0,
              which: str = "algebraic") -> EigenResult:
    """The k largest (algebraic or magnitude) eigenpairs by Lanczos, stopping on the Ritz residuals.

    Always k orthonormal vectors: Lanczos restarts when its Krylov space is invariant (rank-deficient H).
    """
    if which not in WHICH:
        raise ValueError(f"which must be one of {WHICH}, got {which!r}")
    _check(op, k, max_iter)
    start_time = time.perf_counter()

    def residuals(run: Tridiagonal) -> tuple[Tensor, Tensor, Tensor]:
        values, vectors = run.ritz()
        idx = _pick(values, k, which)
        return values, vectors[:, idx], run.beta[-1] * vectors[-1, idx].abs()

    def converged(run: Tridiagonal) -> bool:
        if run.alpha.numel() < k:
            return False
        values, _, res = residuals(run)
        return bool((res <= tol * values.abs().max()).all())

    g = torch.Generator().manual_seed(seed)
    run = lanczos(op, random_vector(op, g), max(max_iter, k), converged, restart=g)
    values, s, res = residuals(run)
    return EigenResult(
        eigenvalues=values[_pick(values, k, which)],
        eigenvectors=_canonical_sign(s.T.to(op.dtype) @ run.basis),
        residuals=res,
        n_hvp=run.alpha.numel(),
        converged=run.exhausted or converged(run),
        seconds=time.perf_counter() - start_time,
        method="lanczos",
    )


def power_iteration(op: Operator, k: int = 1, tol: float = 1e-5, max_iter: int = 100,
                    seed: int = 0) -> EigenResult:
    """The k largest-magnitude eigenpairs one at a time, each iterate kept orthogonal to those found."""
    _check(op, k, max_iter)
    start_time = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    found = torch.zeros(0, op.size, dtype=op.dtype, device=op.device)
    values, residuals, n_hvp, all_converged = [], [], 0, True
    for _ in range(k):
        w = random_vector(op, g)
        for _ in range(max_iter):
            v = w - found.T @ (found @ w)
            v = v / v.norm()
            w = op(v)
            n_hvp += 1
            value = float(v @ w)
            residual = float((w - value * v).norm())
            converged = residual <= tol * max(abs(x) for x in [value, *values])
            if converged:
                break
        values.append(value)
        residuals.append(residual)
        found = torch.cat([found, v.unsqueeze(0)])
        all_converged &= converged
    return EigenResult(
        eigenvalues=torch.tensor(values, dtype=torch.float64),
        eigenvectors=_canonical_sign(found),
        residuals=torch.tensor(residuals, dtype=torch.float64),
        n_hvp=n_hvp,
        converged=all_converged,
        seconds=time.perf_counter() - start_time,
        method="power",
    )

"""Directions that span a landscape: random (Li et al. 2018 normalisation), PCA of a trajectory,
the target between two models, or any given vectors (e.g. Hessian eigenvectors).

Normalisation scales each *group* of a direction to the norm of the weights it perturbs: a group is
a filter (a row, i.e. first index, of a weight tensor) under "filter", a whole tensor under "layer".
1-D parameters (biases) form one group, or are zeroed with `ignore_bias`.

Random directions are made mutually orthogonal *inside every group* before the groups are scaled,
so orthogonality survives the scaling exactly (a global Gram-Schmidt followed by a per-filter
rescale leaves cosines of order 1/sqrt(P)). Groups with fewer entries than directions (e.g. the
2-input rows of a PINN's first layer) cannot hold k orthogonal vectors; their cross terms are
cancelled by giving the larger groups a matching Gram matrix. The result is re-checked after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from losstopo.problems.base import ParamBlock, ParamSpec

NORMALIZATIONS = ("filter", "layer", "none")
ORTHOGONALITY_TOL = 1e-6


@dataclass(frozen=True)
class Directions:
    """Directions [k, P] spanning a landscape, with how they were made (saved with the landscape)."""

    vectors: Tensor
    kind: str
    normalization: str
    cosines: np.ndarray
    explained_variance: np.ndarray | None = None
    trajectory_coords: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[0])


def cosine_matrix(vectors: Tensor) -> np.ndarray:
    """Pairwise cosines [k, k] of the rows of `vectors`, computed in float64."""
    v = vectors.detach().to("cpu", torch.float64)
    norms = v.norm(dim=1).clamp_min(torch.finfo(torch.float64).tiny)
    return ((v @ v.T) / norms[:, None] / norms[None, :]).numpy()


def _check_normalization(normalization: str) -> None:
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; choose one of {list(NORMALIZATIONS)}")


def _group_shape(block: ParamBlock, normalization: str) -> tuple[int, int]:
    """(number of groups, entries per group) of a block under `normalization`."""
    if normalization == "filter" and not block.is_vector:
        return block.shape[0], block.numel // block.shape[0]
    return 1, block.numel


def _perturbed_blocks(spec: ParamSpec, ignore_bias: bool) -> list[ParamBlock]:
    return [b for b in spec.blocks if not (ignore_bias and b.is_vector) and b.numel > 0]


def normalize_directions(
    vectors: Tensor, theta: Tensor, spec: ParamSpec, normalization: str = "filter", ignore_bias: bool = True
) -> Tensor:
    """Scale every filter / layer of each direction [k, P] to the norm of the weights it perturbs.

    1-D parameters are zeroed when `ignore_bias`; "none" leaves the rest unchanged. A group whose
    direction is zero stays zero.
    """
    _check_normalization(normalization)
    if vectors.shape[-1] != spec.size or theta.shape[-1] != spec.size:
        raise ValueError(f"directions {tuple(vectors.shape)} and theta {tuple(theta.shape)} must have "
                         f"{spec.size} parameters, as the model's spec")
    d = vectors.detach().to(torch.float64).clone()
    w = theta.detach().to(d.device, torch.float64)
    kept = set(b.name for b in _perturbed_blocks(spec, ignore_bias))
    for block in spec.blocks:
        cols = slice(block.offset, block.stop)
        if block.name not in kept:
            d[:, cols] = 0.0
        elif normalization != "none":
            n_groups, size = _group_shape(block, normalization)
            dg = d[:, cols].reshape(-1, n_groups, size)
            wn = w[cols].reshape(n_groups, size).norm(dim=1)
            dn = dg.norm(dim=2, keepdim=True)
            tiny = torch.finfo(torch.float64).tiny
            factor = torch.where(dn > 0, wn[None, :, None] / dn.clamp_min(tiny), 0.0)
            d[:, cols] = (dg * factor).reshape(d.shape[0], -1)
    return d.to(vectors.dtype)


def _orthogonal_random(
    theta: Tensor,
    spec: ParamSpec,
    dim: int,
    normalization: str,
    ignore_bias: bool,
    generator: torch.Generator,
) -> Tensor:
    """k Gaussian directions, orthogonal within each group, each group scaled to its weights' norm."""
    w = theta.detach().to("cpu", torch.float64)
    gauss = torch.randn(dim, spec.size, generator=generator, dtype=torch.float64)
    out = torch.zeros_like(gauss)
    blocks = _perturbed_blocks(spec, ignore_bias)
    if normalization == "none":
        idx = torch.cat([torch.arange(b.offset, b.stop) for b in blocks] + [torch.arange(0)])
        if idx.numel() < dim:
            raise ValueError(f"cannot make {dim} orthogonal directions in {idx.numel()} perturbed parameters")
        q, _ = torch.linalg.qr(gauss[:, idx].T)
        out[:, idx] = (q * gauss[:, idx].norm(dim=1)).T
        return out
    tiny = torch.finfo(torch.float64).tiny
    large = []  # groups with >= dim entries: orthonormal frames, scaled at the end
    cross = torch.zeros(dim, dim, dtype=torch.float64)  # inner products contributed by small groups
    large_mass = torch.zeros((), dtype=torch.float64)
    for block in blocks:
        n_groups, size = _group_shape(block, normalization)
        wn = w[block.offset : block.stop].reshape(n_groups, size).norm(dim=1)
        g = gauss[:, block.offset : block.stop].reshape(dim, n_groups, size).permute(1, 2, 0)  # [n, m, k]
        if size >= dim:
            q, _ = torch.linalg.qr(g)
            large.append((block, q, wn))
            large_mass += (wn**2).sum()
        else:
            u = g / g.norm(dim=1, keepdim=True).clamp_min(tiny) * wn[:, None, None]
            cross += torch.einsum("gmi,gmj->ij", u, u)
            out[:, block.offset : block.stop] = u.permute(2, 0, 1).reshape(dim, -1)
    off = cross - torch.diag(torch.diagonal(cross))
    gram = torch.eye(dim, dtype=torch.float64)
    if off.abs().max() > 0:
        if large_mass <= 0:
            raise ValueError(f"cannot make {dim} directions orthogonal: every filter has fewer than {dim} "
                             "entries; use normalization 'layer' or fewer directions")
        gram = gram - off / large_mass
    chol, info = torch.linalg.cholesky_ex(gram)
    if int(info) != 0:
        raise ValueError(f"cannot make {dim} '{normalization}'-normalised directions orthogonal: too much "
                         f"weight sits in filters with fewer than {dim} entries; use normalization 'layer'")
    for block, q, wn in large:
        frame = q @ chol.T * wn[:, None, None]  # columns keep unit norm before scaling: diag(gram) = 1
        out[:, block.offset : block.stop] = frame.permute(2, 0, 1).reshape(dim, -1)
    return out


def random_directions(
    theta: Tensor,
    spec: ParamSpec,
    dim: int = 2,
    normalization: str = "filter",
    ignore_bias: bool = True,
    seed: int = 0,
    orthogonal: bool = True,
) -> Directions:
    """`dim` Gaussian directions with Li et al. normalisation, mutually orthogonal unless told not to."""
    _check_normalization(normalization)
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    generator = torch.Generator().manual_seed(seed)
    if orthogonal:
        vectors = _orthogonal_random(theta, spec, dim, normalization, ignore_bias, generator)
    else:
        gauss = torch.randn(dim, spec.size, generator=generator, dtype=torch.float64)
        vectors = normalize_directions(gauss, theta.to(torch.float64), spec, normalization, ignore_bias)
    vectors = vectors.to(theta.device, theta.dtype)
    if not torch.all(vectors.norm(dim=1) > 0):
        raise ValueError("a random direction is zero: the weights it would perturb are all zero; "
                         "use normalization 'none' or keep the biases")
    cosines = cosine_matrix(vectors)
    if orthogonal:
        worst = np.abs(cosines - np.diag(np.diag(cosines))).max()
        if worst >= ORTHOGONALITY_TOL:
            raise RuntimeError(f"random directions lost orthogonality (max |cos| = {worst:.2e}); "
                               "this is a bug in the direction construction")
    return Directions(vectors, "random", normalization, cosines)


def pca_directions(thetas: Tensor, dim: int = 2, center: Tensor | None = None) -> Directions:
    """Top `dim` principal directions of a trajectory [K, P] minus `center` (default its last model).

    Returns unit vectors with the explained-variance ratio of each, and the trajectory's coordinates
    [K, dim] in them (the centre sits at the origin), for overlays.
    """
    if thetas.ndim != 2 or thetas.shape[0] <= dim:
        raise ValueError(f"PCA of a trajectory needs a [K, P] array with K > dim={dim} checkpoints, "
                         f"got shape {tuple(thetas.shape)}")
    center = thetas[-1] if center is None else center
    diffs = (thetas - center).detach().to("cpu", torch.float64)
    centred = diffs - diffs.mean(dim=0)
    _, sing, vh = torch.linalg.svd(centred, full_matrices=False)
    total = (sing**2).sum()
    if total <= 0:
        raise ValueError("the trajectory does not move: every checkpoint equals the centre")
    vectors = vh[:dim]
    signs = torch.sign(vectors.gather(1, vectors.abs().argmax(dim=1, keepdim=True)))
    vectors = vectors * signs
    return Directions(
        vectors=vectors.to(thetas.dtype),
        kind="pca",
        normalization="none",
        cosines=cosine_matrix(vectors),
        explained_variance=((sing[:dim] ** 2) / total).numpy(),
        trajectory_coords=(diffs @ vectors.T).numpy(),
    )


def target_direction(theta0: Tensor, theta1: Tensor) -> Directions:
    """The direction theta1 - theta0, so that coordinate 1 reaches the second model."""
    if theta0.shape != theta1.shape:
        raise ValueError(f"the two models differ in size: {tuple(theta0.shape)} vs {tuple(theta1.shape)}")
    vectors = (theta1 - theta0).detach().unsqueeze(0)
    return Directions(vectors, "target", "none", cosine_matrix(vectors))


def given_directions(
    vectors: Tensor,
    theta: Tensor,
    spec: ParamSpec,
    normalization: str = "none",
    ignore_bias: bool = False,
    kind: str = "given",
) -> Directions:
    """Any vectors [k, P] (e.g. Hessian eigenvectors), optionally normalised like random directions.

    They are not re-orthogonalised (that would change them); their cosines are recorded.
    """
    if vectors.ndim != 2 or vectors.shape[1] != spec.size:
        raise ValueError(f"given directions must have shape [k, {spec.size}], got {tuple(vectors.shape)}")
    scaled = normalize_directions(vectors.to(theta.dtype), theta, spec, normalization, ignore_bias)
    return Directions(scaled, kind, normalization, cosine_matrix(scaled))

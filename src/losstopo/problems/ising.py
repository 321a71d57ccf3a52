"""CoPhy-PGNN (Elhamod et al. 2022): ground states of a transverse-field Ising chain, learnt with physics.

H(h) = -J sum_i Z_i Z_{i+1} - h sum_i X_i on n spins (dimension 2^n), built with numpy Kronecker
products. Boundary conditions: "open" (free ends, n - 1 bonds; the default) or "periodic" (n bonds,
Z_n Z_1 included). The ground state of -H has positive entries (Perron-Frobenius: h > 0 makes the
off-diagonal of -H non-negative and irreducible), so the exact states are sign-fixed to a positive sum.

An MLP maps the field h to (psi_hat, E_hat), psi_hat normalised to unit length. Per parameter vector:
  train    = MSE of (psi_hat, E_hat) to the exact (psi, E) on the labelled training fields;
  c        = mean ||H psi_hat - E_hat psi_hat||^2, the eigen-equation residual (C-Loss);
  s        = the energy to minimise, steering towards the ground state (S-Loss): with s_loss "rayleigh"
             (default) the predicted state's energy psi_hat^T H psi_hat, bounded below by E_0; with
             "exp_energy" mean exp(E_hat) of the predicted eigenvalue (CoPhy-PGNN's literal form, which
             moves psi_hat only through the C-Loss coupling: in 400 Adam steps it found excited states
             at the held-out fields, overlap < 0.2, where "rayleigh" reached 0.9999);
  test_mse = the train measure on the held-out (extrapolation) fields.
C- and S-Loss need no labels: they run on every field, training and held-out (as in CoPhy-PGNN).
CoPhy-PGNN trains on train + lambda_C(t) c + lambda_S(t) s, lambda_S annealed (decaying from
lambda_s0) and lambda_C cold-started (a sigmoid ramp to lambda_c):
`losstopo.training.balancing.CophySchedule`. The black-box network trains on `train` only. The
problem's "loss" is the objective the variant converges to: train + lambda_c c + lambda_s s for "cophy"
(lambda_s = 0: the annealed S weight has vanished), train for "blackbox".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

import numpy as np
import torch
from torch import Tensor

from losstopo.problems.base import ParamSpec
from losstopo.problems.mlp import MLP, batched_mlp, mlp_spec

PAULI_X = np.array([[0.0, 1.0], [1.0, 0.0]])
PAULI_Z = np.array([[1.0, 0.0], [0.0, -1.0]])
BOUNDARIES = ("open", "periodic")
VARIANTS = ("cophy", "blackbox")
S_LOSSES = ("rayleigh", "exp_energy")


def site_operator(op: np.ndarray, site: int, n_spins: int) -> np.ndarray:
    """`op` acting on spin `site` of an n-spin chain (identity elsewhere), as a 2^n x 2^n matrix."""
    return reduce(np.kron, [op if i == site else np.eye(2) for i in range(n_spins)])


def ising_hamiltonian(n_spins: int, field: float, coupling: float = 1.0,
                      boundary: str = "open") -> np.ndarray:
    """H = -J sum_<ij> Z_i Z_j - h sum_i X_i, bonds (i, i+1), plus (n, 1) for a periodic chain."""
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    if n_spins < 2:
        raise ValueError(f"an Ising chain needs n_spins >= 2, got {n_spins}")
    bonds = [(i, i + 1) for i in range(n_spins - 1)]
    if boundary == "periodic":
        bonds.append((n_spins - 1, 0))
    z = [site_operator(PAULI_Z, i, n_spins) for i in range(n_spins)]
    h = -coupling * sum(z[i] @ z[j] for i, j in bonds)
    return h - field * sum(site_operator(PAULI_X, i, n_spins) for i in range(n_spins))


def ground_state(hamiltonian: np.ndarray) -> tuple[float, np.ndarray]:
    """The lowest eigenvalue and its unit eigenvector, signed so that its entries sum to > 0."""
    energies, states = np.linalg.eigh(hamiltonian)
    psi = states[:, 0]
    return float(energies[0]), psi * (1.0 if psi.sum() >= 0 else -1.0)


@dataclass(frozen=True)
class IsingConfig:
    """The chain, the fields (train: labelled; test: held out, extrapolation), the network and the variant."""

    n_spins: int = 4
    coupling: float = 1.0
    boundary: str = "open"
    train_range: tuple[float, float] = (0.1, 0.6)
    n_train: int = 12
    test_range: tuple[float, float] = (0.8, 2.0)
    n_test: int = 12
    hidden: tuple[int, ...] = (32, 32)
    variant: str = "cophy"
    lambda_c: float = 1.0
    lambda_s: float = 0.0
    s_loss: str = "rayleigh"
    dtype: torch.dtype = field(default=torch.float32)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"ising variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.s_loss not in S_LOSSES:
            raise ValueError(f"ising s_loss must be one of {S_LOSSES}, got {self.s_loss!r}")
        if self.boundary not in BOUNDARIES:
            raise ValueError(f"ising boundary must be one of {BOUNDARIES}, got {self.boundary!r}")
        if min(self.n_train, self.n_test) < 1 or not 2 <= self.n_spins <= 10:
            raise ValueError("ising needs n_train, n_test >= 1 and 2 <= n_spins <= 10 (dense 2^n matrices)")


class IsingProblem:
    """CoPhy-PGNN or its black-box twin as a `Problem`; batched over vectors with one bmm per layer."""

    def __init__(self, config: IsingConfig = IsingConfig()) -> None:
        self.config = config
        c = config
        self.dim = 2**c.n_spins
        self.widths = [1, *c.hidden, self.dim + 1]
        self.spec: ParamSpec = mlp_spec(self.widths)
        self.terms = ("train", "c", "s") if c.variant == "cophy" else ("train",)
        self.train_fields = np.linspace(*c.train_range, c.n_train)
        self.test_fields = np.linspace(*c.test_range, c.n_test)
        fields = np.concatenate([self.train_fields, self.test_fields])
        hamiltonians = [ising_hamiltonian(c.n_spins, h, c.coupling, c.boundary) for h in fields]
        exact = [ground_state(hm) for hm in hamiltonians]
        dt = c.dtype
        self.fields = torch.tensor(fields, dtype=dt).unsqueeze(1)  # [F, 1], train fields first
        self.hamiltonians = torch.tensor(np.stack(hamiltonians), dtype=dt)  # [F, D, D]
        self.targets = torch.tensor(np.stack([np.append(psi, e) for e, psi in exact]), dtype=dt)  # [F, D + 1]

    def init(self, seed: int) -> Tensor:
        """PyTorch's default initialisation of the network under `seed`, as a flat vector."""
        torch.manual_seed(seed)
        return self.spec.flatten(dict(MLP(self.widths).to(self.config.dtype).named_parameters()))

    def predict(self, thetas: Tensor) -> Tensor:
        """(psi_hat / ||psi_hat||, E_hat) at every field, [B, F, D + 1], train fields first."""
        out, _ = batched_mlp(self.spec, thetas, self.fields.to(thetas.device))
        psi = out[..., : self.dim]
        return torch.cat([psi / psi.norm(dim=-1, keepdim=True), out[..., self.dim :]], dim=-1)

    def loss_terms(self, thetas: Tensor) -> dict[str, Tensor]:
        """train, c, s, test_mse and the variant's "loss" for a batch of vectors [B, P]; each [B]."""
        c = self.config
        pred = self.predict(thetas)
        psi, energy = pred[..., : self.dim], pred[..., self.dim]
        error = ((pred - self.targets.to(pred.device)) ** 2).mean(dim=-1)  # [B, F]
        h_psi = torch.einsum("fij,bfj->bfi", self.hamiltonians.to(pred.device), psi)
        rayleigh = (psi * h_psi).sum(dim=-1)  # [B, F]
        terms = {
            "train": error[:, : c.n_train].mean(dim=1),
            "test_mse": error[:, c.n_train :].mean(dim=1),
            "c": ((h_psi - energy.unsqueeze(-1) * psi) ** 2).sum(dim=-1).mean(dim=1),
            "s": (rayleigh if c.s_loss == "rayleigh" else torch.exp(energy)).mean(dim=1),
        }
        physics = c.lambda_c * terms["c"] + c.lambda_s * terms["s"]
        terms["loss"] = terms["train"] + physics if c.variant == "cophy" else terms["train"]
        return terms

    def loss(self, theta: Tensor) -> Tensor:
        """The variant's scalar objective of one flat vector, twice differentiable."""
        return self.loss_terms(theta.unsqueeze(0))["loss"][0]

    def evaluate(self, theta: Tensor) -> dict[str, float]:
        """The loss terms, and on the held-out fields the energy error and the overlap |<psi_hat, psi>|."""
        c = self.config
        with torch.no_grad():
            terms = self.loss_terms(theta.detach().unsqueeze(0))
            pred = self.predict(theta.detach().unsqueeze(0))[0, c.n_train :]
        target = self.targets[c.n_train :].to(pred)
        metrics = {k: float(v[0]) for k, v in terms.items()}
        metrics["test_energy_mae"] = float((pred[:, self.dim] - target[:, self.dim]).abs().mean())
        metrics["test_overlap"] = float((pred[:, : self.dim] * target[:, : self.dim]).sum(dim=1).abs().mean())
        return metrics


def build(settings: dict, buffers: dict[str, Tensor] | None = None) -> IsingProblem:
    """The registry's builder: an Ising CoPhy-PGNN problem from a config slice (`dtype` as a string)."""
    from losstopo.problems.registry import DTYPES

    settings = dict(settings)
    dtype = DTYPES[settings.pop("dtype", "float32")]
    tuples = {k: tuple(settings.pop(k)) for k in ("hidden", "train_range", "test_range") if k in settings}
    unknown = sorted(set(settings) - set(IsingConfig.__dataclass_fields__))
    if unknown:
        raise ValueError(f"unknown ising problem settings {unknown}; "
                         f"known: {sorted(IsingConfig.__dataclass_fields__)}")
    return IsingProblem(IsingConfig(dtype=dtype, **tuples, **settings))

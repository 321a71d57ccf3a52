"""The Ising chain against closed forms and a bit-by-bit construction; CoPhy-PGNN's losses and training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from losstopo.problems.ising import IsingConfig, IsingProblem, ground_state, ising_hamiltonian
from losstopo.problems.mlp import MLP
from losstopo.problems.registry import make_problem
from losstopo.training.balancing import CophySchedule, EqualWeights, train_balanced


def naive_hamiltonian(n: int, h: float, j: float, periodic: bool) -> np.ndarray:
    """Oracle: H element by element on the computational basis (bit 1 = spin down, site 0 = leftmost)."""
    dim = 2**n
    out = np.zeros((dim, dim))
    bonds = [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if periodic else [])
    for state in range(dim):
        spins = [1 - 2 * ((state >> (n - 1 - i)) & 1) for i in range(n)]
        out[state, state] = -j * sum(spins[a] * spins[b] for a, b in bonds)
        for i in range(n):
            out[state ^ (1 << (n - 1 - i)), state] -= h
    return out


@pytest.mark.parametrize("h,j", [(0.3, 1.0), (1.0, 1.0), (2.5, 0.7)])
def test_two_spin_ground_energy_matches_the_closed_form(h, j):
    # open chain: the even block [[-J, -2h], [-2h, J]] gives -sqrt(J^2 + 4h^2)
    assert ground_state(ising_hamiltonian(2, h, j, "open"))[0] == pytest.approx(-math.sqrt(j**2 + 4 * h**2))
    # periodic 2-chain: bond (1, 2) counted twice, -2 sqrt(J^2 + h^2)
    periodic = ground_state(ising_hamiltonian(2, h, j, "periodic"))[0]
    assert periodic == pytest.approx(-2 * math.sqrt(j**2 + h**2))


@pytest.mark.parametrize("boundary", ["open", "periodic"])
def test_hamiltonian_matches_a_bitwise_construction(boundary):
    expected = naive_hamiltonian(4, 0.7, 1.3, boundary == "periodic")
    np.testing.assert_allclose(ising_hamiltonian(4, 0.7, 1.3, boundary), expected, atol=1e-12)


def test_ground_state_is_positive_and_an_eigenvector():
    hm = ising_hamiltonian(5, 0.4)
    energy, psi = ground_state(hm)
    assert bool((psi > 0).all())
    np.testing.assert_allclose(hm @ psi, energy * psi, atol=1e-10)
    assert energy == pytest.approx(np.linalg.eigvalsh(hm).min())


def small(variant: str, dtype=torch.float64) -> IsingProblem:
    return IsingProblem(IsingConfig(n_spins=3, n_train=6, n_test=5, hidden=(12,), variant=variant,
                                    lambda_c=0.5, lambda_s=0.25, dtype=dtype))


def test_batched_loss_terms_match_a_per_vector_numpy_computation():
    problem = small("cophy")
    thetas = torch.stack([problem.init(s) for s in range(3)])
    terms = problem.loss_terms(thetas)
    fields = np.concatenate([np.linspace(0.1, 0.6, 6), np.linspace(0.8, 2.0, 5)])
    for b in range(3):
        net = MLP(problem.widths).double()
        net.load_state_dict(problem.spec.unflatten(thetas[b]))
        with torch.no_grad():
            out = net(torch.tensor(fields).unsqueeze(1)).numpy()
        errors, residuals, energies = [], [], []
        for f, h in enumerate(fields):
            hm = ising_hamiltonian(3, h)
            e0, psi0 = ground_state(hm)
            psi = out[f, :8] / np.linalg.norm(out[f, :8])
            errors.append(np.mean((np.append(psi, out[f, 8]) - np.append(psi0, e0)) ** 2))
            residuals.append(np.sum((hm @ psi - out[f, 8] * psi) ** 2))
            energies.append(psi @ hm @ psi)
        expected = {"train": np.mean(errors[:6]), "test_mse": np.mean(errors[6:]), "c": np.mean(residuals),
                    "s": np.mean(energies)}
        expected["loss"] = expected["train"] + 0.5 * expected["c"] + 0.25 * expected["s"]
        for key, value in expected.items():
            assert float(terms[key][b]) == pytest.approx(value, rel=1e-10), key
    torch.testing.assert_close(small("blackbox").loss_terms(thetas)["loss"], terms["train"])


def test_exp_energy_s_loss():
    problem = IsingProblem(IsingConfig(n_spins=2, n_train=2, n_test=2, hidden=(4,), s_loss="exp_energy",
                                       dtype=torch.float64))
    theta = problem.init(0)
    energy = problem.predict(theta.unsqueeze(0))[0, :, 4]
    torch.testing.assert_close(problem.loss_terms(theta.unsqueeze(0))["s"][0], torch.exp(energy).mean())


def test_cophy_schedule_anneals_s_and_cold_starts_c():
    schedule = CophySchedule(lambda_c=2.0, lambda_s0=3.0, anneal_steps=10.0, cold_start=20.0, cold_width=5.0)
    assert schedule.lambdas(0) == pytest.approx((2.0 / (1 + math.exp(4.0)), 3.0))
    assert schedule.lambdas(20) == pytest.approx((1.0, 3.0 * math.exp(-2.0)))
    c, s = zip(*(schedule.lambdas(t) for t in range(100)))
    assert all(np.diff(c) > 0) and all(np.diff(s) < 0)
    with pytest.raises(ValueError, match="CophySchedule weights"):
        schedule.reset(("train",), 0)


def test_cophy_trained_briefly_has_lower_c_loss_than_the_black_box_from_the_same_init():
    cophy, blackbox = small("cophy", torch.float32), small("blackbox", torch.float32)
    theta0 = cophy.init(0)
    schedule = CophySchedule(lambda_c=1.0, lambda_s0=1.0, anneal_steps=40, cold_start=50, cold_width=10)
    runs = {
        "cophy": train_balanced(cophy, theta0, schedule, steps=150, lr=3e-3, checkpoint_every=50, seed=0),
        "blackbox": train_balanced(blackbox, theta0, EqualWeights(), steps=150, lr=3e-3, checkpoint_every=50,
                                   seed=0),
    }
    assert torch.equal(runs["cophy"].trajectory[0], runs["blackbox"].trajectory[0])
    c_loss = {k: float(cophy.loss_terms(r.theta.unsqueeze(0))["c"][0]) for k, r in runs.items()}
    assert c_loss["cophy"] < 0.5 * c_loss["blackbox"], c_loss
    # both fit the labelled fields
    for r in runs.values():
        assert float(cophy.loss_terms(r.theta.unsqueeze(0))["train"][0]) < 0.5 * float(
            cophy.loss_terms(theta0.unsqueeze(0))["train"][0])


def test_registry_builds_it_and_names_unknown_settings():
    problem = make_problem({"name": "ising", "n_spins": 3, "hidden": [8], "train_range": [0.2, 0.4],
                            "n_train": 3, "variant": "blackbox", "dtype": "float64"})
    assert problem.terms == ("train",) and problem.spec.size == (1 * 8 + 8) + (8 * 9 + 9)
    with pytest.raises(ValueError, match="unknown ising problem settings \\['spins'\\]"):
        make_problem({"name": "ising", "spins": 3})

"""Tiny problems shared by the tests: small enough for dense Hessians and naive loops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from losstopo.problems.convection import ConvectionConfig, ConvectionPINN
from losstopo.problems.module import ModuleProblem

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TINY = ROOT / "tests/config/tiny.yaml"


def tiny_pinn(dtype: torch.dtype = torch.float64, beta: float = 3.0) -> ConvectionPINN:
    """A 2 -> 8 -> 8 -> 1 convection PINN (105 parameters) on a coarse grid."""
    return ConvectionPINN(ConvectionConfig(beta=beta, hidden=(8, 8), n_x=32, n_t=16, n_f=40, dtype=dtype))


def tiny_regression(dtype: torch.dtype = torch.float64) -> ModuleProblem:
    """A 3 -> 10 -> 10 -> 1 tanh MLP regressing a smooth function of 64 points (161 parameters)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g)
    y = torch.sin(x.sum(dim=1, keepdim=True)) + 0.1 * x[:, :1] ** 2
    make = lambda: nn.Sequential(nn.Linear(3, 10), nn.Tanh(), nn.Linear(10, 10), nn.Tanh(), nn.Linear(10, 1))
    return ModuleProblem(make, [(x, y)], loss="mse", dtype=dtype)


def tiny_classifier(dtype: torch.dtype = torch.float64) -> ModuleProblem:
    """A 4 -> 12 -> 3 MLP classifying 90 Gaussian blobs, in two loader batches (99 parameters)."""
    g = torch.Generator().manual_seed(1)
    y = torch.arange(90) % 3
    x = torch.randn(90, 4, generator=g) + 1.5 * nn.functional.one_hot(y, 4).to(torch.float32)
    make = lambda: nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Linear(12, 3))
    return ModuleProblem(make, [(x[:50], y[:50]), (x[50:], y[50:])], loss="cross_entropy", dtype=dtype)


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Tests run on one torch thread unless they set their own: tiny problems are latency-bound, and extra
    threads only spin on a shared 2-core machine."""
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_leaked_torch_state():
    """No test leaks a thread count or a default dtype (DeepXDE sets it globally) to the next."""
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    yield
    torch.set_num_threads(threads)
    torch.set_default_dtype(dtype)


@pytest.fixture
def pinn() -> ConvectionPINN:
    return tiny_pinn()


@pytest.fixture
def regression() -> ModuleProblem:
    return tiny_regression()


@pytest.fixture
def classifier() -> ModuleProblem:
    return tiny_classifier()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """The working directory of one uninterrupted run of every target on the tiny config."""
    work = tmp_path_factory.mktemp("e2e")
    run = subprocess.run(
        [SNAKEMAKE, "--snakefile", ROOT / "workflow/Snakefile", "--directory", work, "--cores", "2",
         "--configfile", TINY, "--show-failed-logs"],
        capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-6000:]
    return work

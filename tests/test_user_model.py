"""A model of your own through a config entry: imports, checkpoint formats, data, errors, DeepXDE PINNs.

Oracles: the plain `nn.Module` forward and a hand-written loss; the project's own ConvectionPINN loaded
with the DeepXDE network's tensors by hand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from losstopo import api
from losstopo.problems import registry
from losstopo.problems.checkpoints import UserModelError
from losstopo.problems.user import import_checkpoint, resolve, validate_entry
from losstopo.settings import LandscapeSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from cnn import eval_batches, make_model  # noqa: E402
from train import train  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def module_builder(monkeypatch):
    """The registry line for "module" problems (until the lead adds it to registry.BUILDERS)."""
    monkeypatch.setitem(registry.BUILDERS, "module", "losstopo.problems.user:build")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> list[Path]:
    return train(tmp_path_factory.mktemp("ckpt"), epochs=3, n_train=96)


def cnn_entry(files, **changes) -> dict:
    entry = {
        "module": f"{ROOT}/examples/cnn.py:make_model",
        "module_args": {"channels": 4},
        "batches": f"{ROOT}/examples/cnn.py:eval_batches",
        "loss": "cross_entropy",
        "checkpoints": [str(p) for p in files],
    }
    return {**entry, **changes}


def module_loss(model: nn.Module, batches) -> float:
    """Oracle: the mean cross-entropy of the plain module over every sample."""
    with torch.no_grad():
        total = sum(nn.functional.cross_entropy(model(x), y, reduction="sum") for x, y in batches)
    return float(total) / sum(len(y) for _, y in batches)


def test_state_dict_entry_matches_the_plain_module(checkpoints):
    entry = cnn_entry(checkpoints)
    assert validate_entry("cnn", entry) == [str(p) for p in checkpoints]
    model = make_model()
    model.load_state_dict(torch.load(checkpoints[-1]))
    imported = import_checkpoint("cnn", entry, str(checkpoints[-1]))
    expected = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    assert torch.equal(imported.theta, expected)
    assert float(imported.problem.loss(imported.theta)) == pytest.approx(
        module_loss(model, eval_batches()), rel=1e-6
    )
    rebuilt = registry.make_problem(imported.problem_spec)
    assert float(rebuilt.loss(imported.theta)) == float(imported.problem.loss(imported.theta))


def test_dataset_entry_and_glob_give_the_batches_entry(checkpoints):
    batches = import_checkpoint("cnn", cnn_entry(checkpoints), str(checkpoints[0]))
    glob = str(checkpoints[0].parent / "epoch*.pt")
    assert validate_entry("cnn", cnn_entry(checkpoints, checkpoints=glob)) == [str(p) for p in checkpoints]
    data = cnn_entry(checkpoints, dataset=f"{ROOT}/examples/cnn.py:dataset", batch_size=48)
    del data["batches"]
    dataset = import_checkpoint("cnn", data, str(checkpoints[0]))
    assert float(dataset.problem.loss(dataset.theta)) == pytest.approx(
        float(batches.problem.loss(batches.theta)), rel=1e-6
    )


def test_pickled_module_with_batchnorm_and_custom_loss(tmp_path):
    """Whole pickled module, BatchNorm running statistics, an import-path per-sample loss."""
    (tmp_path / "parts.py").write_text(
        "import torch\n"
        "def make():\n"
        "    nn = torch.nn\n"
        "    return nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Linear(5, 2))\n"
        "def l1(out, y):\n"
        "    return (out - y).abs().mean(dim=1)\n"
        "def batches():\n"
        "    g = torch.Generator().manual_seed(0)\n"
        "    return [(torch.randn(10, 3, generator=g), torch.randn(10, 2, generator=g))]\n"
    )
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Linear(5, 2))
    model.train()
    model(torch.randn(64, 3) * 3 + 1)  # non-trivial running statistics
    model.eval()
    torch.save(model, tmp_path / "whole.pt")
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    entry = {
        "module": f"{tmp_path}/parts.py:make",
        "batches": f"{tmp_path}/parts.py:batches",
        "loss": f"{tmp_path}/parts.py:l1",
    }
    whole = import_checkpoint("bn", {**entry, "format": "module"}, str(tmp_path / "whole.pt"))
    weights = import_checkpoint("bn", entry, str(tmp_path / "weights.pt"))
    assert torch.equal(whole.theta, weights.theta)
    x, y = resolve(f"{tmp_path}/parts.py:batches")()[0]
    with torch.no_grad():
        expected = float((model(x) - y).abs().mean())
    assert float(whole.problem.loss(whole.theta)) == pytest.approx(expected, rel=1e-6)
    assert torch.equal(whole.buffers["1.running_mean"], model[1].running_mean)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"module": "examples_nowhere.cnn:make_model"},
            "module = 'examples_nowhere.cnn:make_model' does not resolve",
        ),
        ({"module": f"{ROOT}/examples/cnn.py:make_nothing"}, "has no attribute 'make_nothing'"),
        ({"module": "make_model"}, "is not an import path"),
        ({"loss": "hinge"}, "loss = 'hinge'"),
        ({"module_args": {"channels": 5}}, "does not match the factory's module: conv.weight has shape"),
        (
            {"module": "torch.nn:Identity", "module_args": {}},
            "does not match the factory's module: missing keys",
        ),
        ({"batches_args": {"n": 12, "batch_size": 4, "seed": 0}, "loss": "mse"}, "mse needs targets shaped"),
        ({"checkpoints": ["missing/epoch9.pt"]}, "checkpoint file 'missing/epoch9.pt' does not exist"),
        ({"checkpoints": "missing/epoch*.pt"}, "checkpoint file 'missing/epoch*.pt' does not exist"),
    ],
)
def test_bad_entries_name_the_entry_and_the_problem(checkpoints, change, message):
    with pytest.raises(UserModelError, match="^models\\.cnn: ") as info:
        validate_entry("cnn", cnn_entry(checkpoints, **change))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_wrong_image_size_is_a_data_shape_error(tmp_path, checkpoints):
    (tmp_path / "small.py").write_text(
        "import torch\n"
        "def batches():\n"
        "    return [(torch.zeros(4, 1, 6, 6), torch.zeros(4, dtype=torch.long))]\n"
    )
    with pytest.raises(
        UserModelError, match=r"models\.cnn: data of the wrong shape: the model fails on batch 0"
    ):
        validate_entry("cnn", cnn_entry(checkpoints, batches=f"{tmp_path}/small.py:batches"))


def train_deepxde_pinn(folder: Path, beta: float) -> str:
    """A 2-8-8-1 tanh FNN trained for 20 Adam steps by DeepXDE on the convection PDE; its saved .pt."""
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    import deepxde as dde

    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(0, 2 * np.pi), dde.geometry.TimeDomain(0, 1))

    def pde(x, u):
        return dde.grad.jacobian(u, x, i=0, j=1) + beta * dde.grad.jacobian(u, x, i=0, j=0)

    ic = dde.icbc.IC(geomtime, lambda x: np.sin(x[:, 0:1]), lambda _, on_initial: on_initial)
    bc = dde.icbc.PeriodicBC(geomtime, 0, lambda _, on_boundary: on_boundary)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=40, num_boundary=8, num_initial=8)
    torch.manual_seed(0)
    model = dde.Model(data, dde.nn.FNN([2, 8, 8, 1], "tanh", "Glorot normal"))
    model.compile("adam", lr=1e-2)
    model.train(iterations=20, display_every=1000, verbose=0)
    return model.save(str(folder / "pinn"), verbose=0)


def test_deepxde_checkpoint_gives_the_project_pinn_landscape(tmp_path):
    from losstopo.problems.convection import ConvectionConfig, ConvectionPINN

    beta = 3.0
    path = train_deepxde_pinn(tmp_path, beta)
    pde = {"name": "convection", "beta": beta, "n_x": 32, "n_t": 16, "n_f": 40, "data_seed": 0}
    imported = import_checkpoint("pinn_dde", {"format": "deepxde", "problem": pde}, path)
    assert imported.problem_spec["hidden"] == [8, 8]

    state = torch.load(path, weights_only=True)["model_state_dict"]
    own = ConvectionPINN(ConvectionConfig(beta=beta, hidden=(8, 8), n_x=32, n_t=16, n_f=40))
    theta = torch.cat(
        [state[f"linears.{i}.{kind}"].reshape(-1) for i in range(3) for kind in ("weight", "bias")]
    )
    job = LandscapeSettings().job("random", 2) | {"steps": 9}
    ours = api.compute_landscape(
        imported.problem, imported.theta, imported.problem_spec, "random", 2, job, device="cpu"
    )
    oracle = api.compute_landscape(own, theta, {}, "random", 2, job, device="cpu")
    np.testing.assert_allclose(ours.loss, oracle.loss, rtol=1e-6)
    assert np.ptp(oracle.loss) > 0

    with pytest.raises(UserModelError, match=r"models\.pinn_dde: format: deepxde needs `problem"):
        import_checkpoint("pinn_dde", {"format": "deepxde"}, path)


def test_analyze_one_call_matches_a_naive_loop(tmp_path, checkpoints):
    import losstopo

    model = make_model()
    model.load_state_dict(torch.load(checkpoints[-1]))
    small = {"hessian": {"max_iter": 20, "trace_max_samples": 10, "esd_runs": 1, "esd_steps": 10}}
    result = losstopo.analyze(model, eval_batches(), loss="cross_entropy", steps=7, settings=small)
    report = result.landscapes["random"]
    assert report.loss.shape == (7, 7) and report.loss[3, 3] == pytest.approx(
        module_loss(model, eval_batches()), rel=1e-6
    )
    theta0 = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    for i, j in [(0, 0), (1, 5), (6, 2)]:
        point = make_model()
        a, b = report.axes[0][i], report.axes[1][j]
        d = report.directions.vectors
        nn.utils.vector_to_parameters(theta0 + float(a) * d[0] + float(b) * d[1], point.parameters())
        assert report.loss[i, j] == pytest.approx(module_loss(point, eval_batches()), rel=1e-5)
    assert result.hessian.summary["top_eigenvalue"] > 0 and "n_saddles" in result.metrics["random"]
    written = result.save(tmp_path / "out")
    assert {p.name for p in written} >= {"hessian.json", "landscape_random_2d.npz", "topology_random_2d.json"}

"""Models with buffers: a BatchNorm conv net's batched landscape and HVPs against its own eval-mode module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from losstopo.hessian import HessianOperator
from losstopo.landscape import grid_losses
from losstopo.problems.module import ModuleProblem

NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=NO_CUDA)]


def make_net() -> nn.Module:
    """Conv-BN-ReLU, strided conv-BN-ReLU, average pool, linear: 3 classes from 3 x 8 x 8 images."""
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 5, 3, stride=2, padding=1), nn.BatchNorm2d(5), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 3),
    )


def checkpoint_buffers(seed: int = 3) -> dict[str, torch.Tensor]:
    """Running statistics far from a fresh module's (mean 0, variance 1), as a trained model would have."""
    g = torch.Generator().manual_seed(seed)
    buffers = {}
    for name, tensor in make_net().named_buffers():
        if name.endswith("running_mean"):
            buffers[name] = torch.randn(tensor.shape, generator=g)
        elif name.endswith("running_var"):
            buffers[name] = 0.2 + 2 * torch.rand(tensor.shape, generator=g)
        else:
            buffers[name] = torch.tensor(7)
    return buffers


def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two loader batches of random images (sizes 6 and 4) with labels."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(10, 3, 8, 8, generator=g)
    y = torch.randint(0, 3, (10,), generator=g)
    return [(x[:6], y[:6]), (x[6:], y[6:])]


def problem(buffers=None) -> ModuleProblem:
    return ModuleProblem(make_net, batches(), loss="cross_entropy", dtype=torch.float64, buffers=buffers)


def eval_copy(theta: torch.Tensor, buffers: dict[str, torch.Tensor]) -> nn.Module:
    """A real module in eval mode holding `theta` as parameters and `buffers` as its state."""
    net = make_net().to(torch.float64)
    torch.nn.utils.vector_to_parameters(theta.detach().clone(), net.parameters())
    state = {k: v.to(torch.float64) if v.is_floating_point() else v for k, v in buffers.items()}
    net.load_state_dict({**net.state_dict(), **state})
    return net.eval().to(theta.device)


def module_loss(net: nn.Module) -> torch.Tensor:
    """The mean cross-entropy over every sample of `batches()`, through the module's own forward."""
    device = next(net.parameters()).device
    total = sum(F.cross_entropy(net(x.to(device, torch.float64)), y.to(device), reduction="sum")
                for x, y in batches())
    return total / 10


@pytest.mark.parametrize("device", DEVICES)
def test_batched_landscape_equals_a_loop_over_eval_mode_copies(device):
    prob, buffers = problem(checkpoint_buffers()), checkpoint_buffers()
    theta0 = prob.init(0)
    g = torch.Generator().manual_seed(2)
    directions = 0.3 * torch.randn(2, prob.spec.size, generator=g, dtype=torch.float64)
    axes = (np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    landscape = grid_losses(prob, theta0, directions, axes, device=device)
    point = lambda a, b: (theta0 + a * directions[0] + b * directions[1]).to(device)
    with torch.no_grad():
        naive = np.array([[float(module_loss(eval_copy(point(a, b), buffers))) for b in axes[1]]
                          for a in axes[0]])
    np.testing.assert_allclose(landscape.loss, naive, rtol=1e-5)
    assert float(np.ptp(naive)) > 1e-3  # the directions move the loss: the comparison is not of constants


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", ["graph", "jvp"])
def test_hvp_equals_double_backward_on_the_module(device, method):
    prob, buffers = problem(checkpoint_buffers()), checkpoint_buffers()
    theta = prob.init(1).to(device)
    g = torch.Generator().manual_seed(4)
    v = torch.randn(prob.spec.size, generator=g, dtype=torch.float64).to(device)
    net = eval_copy(theta, buffers)
    params = list(net.parameters())
    grads = torch.autograd.grad(module_loss(net), params, create_graph=True)
    pieces = v.split([p.numel() for p in params])
    dot = sum((g * piece.view_as(g)).sum() for g, piece in zip(grads, pieces))
    expected = torch.cat([h.reshape(-1) for h in torch.autograd.grad(dot, params)])
    got = HessianOperator(prob, theta, method=method)(v)
    torch.testing.assert_close(got, expected, rtol=1e-7, atol=1e-9)


def test_checkpoint_buffers_override_the_fresh_modules():
    theta = problem().init(0)
    fresh, loaded = problem(), problem(checkpoint_buffers())
    expected = float(module_loss(eval_copy(theta, checkpoint_buffers())))
    assert float(loaded.loss(theta)) == pytest.approx(expected, rel=1e-12)
    assert float(fresh.loss(theta)) == pytest.approx(float(module_loss(eval_copy(theta, {}))), rel=1e-12)
    assert abs(float(loaded.loss(theta)) - float(fresh.loss(theta))) > 1e-3


def test_buffers_follow_the_parameters_device_and_are_cached():
    prob = problem(checkpoint_buffers())
    on_meta = prob.buffers_on(torch.device("meta"))
    assert all(t.device.type == "meta" for t in on_meta.values())
    assert prob.buffers_on(torch.device("meta")) is on_meta
    assert all(t.device.type == "cpu" for t in prob.buffers.values())


def test_wrong_buffers_name_the_problem():
    with pytest.raises(KeyError, match="bn_missing.running_mean"):
        problem({"bn_missing.running_mean": torch.zeros(4)})
    with pytest.raises(ValueError, match="1.running_mean"):
        problem({"1.running_mean": torch.zeros(7)})

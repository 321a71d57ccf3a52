"""ResNet-20 with and without shortcuts, the shared epoch trainer, and the training script, on tiny data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from losstopo import artifacts
from losstopo.data.cifar import load_cifar10, write_synthetic_cifar10
from losstopo.experiments.resnet20 import RESNET20
from losstopo.problems.base import ParamSpec
from losstopo.problems.registry import make_problem
from losstopo.problems.resnet import BasicBlock, ResNet20
from losstopo.training.epochs import (
    CROP_PADDING,
    EpochConfig,
    augment_batch,
    epoch_generator,
    evaluate_module,
    load_state,
    save_state,
    train_epoch,
)
from losstopo.training.trained import save_trained

# Hand-counted for width 16: stem 432 + 32, stage 1 6 * 2304 + 6 * 32, stage 2 4608 + 5 * 9216 + 6 * 64,
# stage 3 18432 + 5 * 36864 + 6 * 128, linear 650; projections (1x1 conv + BN) 512 + 64 and 2048 + 128.
PLAIN_PARAMS_W16 = 269_722
PROJECTION_PARAMS_W16 = 576 + 2176


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_synthetic_cifar10(root, n_train=48, n_test=24, seed=0)
    return root


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_the_plain_variant_has_no_shortcut_modules():
    plain, residual = ResNet20(16, residual=False), ResNet20(16, residual=True)
    assert not [name for name, _ in plain.named_modules() if "downsample" in name]
    assert [name for name, m in residual.named_modules() if name.endswith("downsample")] == [
        "layer2.0.downsample", "layer3.0.downsample"]
    assert n_params(plain) == PLAIN_PARAMS_W16
    projections = sum(n_params(m) for name, m in residual.named_modules() if name.endswith("downsample"))
    assert projections == PROJECTION_PARAMS_W16
    assert n_params(plain) == n_params(residual) - projections


@pytest.mark.parametrize("stride, channels", [(1, 6), (2, 8)])
def test_blocks_add_the_shortcut_only_when_residual(stride, channels):
    x = torch.randn(2, 6, 8, 8, generator=torch.Generator().manual_seed(0))
    for residual in (True, False):
        block = BasicBlock(6, channels, stride, residual).eval()
        body = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
        shortcut = x if block.downsample is None else block.downsample(x)
        expected = torch.relu(body + shortcut) if residual else torch.relu(body)
        torch.testing.assert_close(block(x), expected)


@pytest.mark.parametrize("residual", [True, False])
def test_both_variants_train_a_step_and_lower_the_loss(data_root, residual):
    x, y = load_cifar10(data_root, "train")
    torch.manual_seed(0)
    model = ResNet20(4, residual)
    with torch.no_grad():
        before = float(F.cross_entropy(model.train()(x), y))
    config = EpochConfig(lr=0.05, batch_size=len(x), augment=False)
    state = train_epoch(model, None, (x, y), F.cross_entropy, config, epoch=1, seed=0, progress=False)
    with torch.no_grad():
        after = float(F.cross_entropy(model.train()(x), y))
    assert state.loss == pytest.approx(before, rel=1e-5)  # the one step's loss, before its update
    assert after < before


def test_resuming_from_a_saved_state_is_bitwise(data_root, tmp_path):
    data = load_cifar10(data_root, "train")
    config = EpochConfig(lr=0.05, batch_size=16, step_size=2, gamma=0.5, augment=True)
    torch.manual_seed(0)
    chained = ResNet20(4, True)
    state = None
    for epoch in (1, 2, 3):
        state = train_epoch(chained, state, data, F.cross_entropy, config, epoch, seed=5, progress=False)
    torch.manual_seed(0)
    first = ResNet20(4, True)
    save_state(tmp_path / "epoch1.pt", train_epoch(first, None, data, F.cross_entropy, config, 1, 5, False))
    torch.manual_seed(123)  # another initialisation and global RNG state: the saved state must override both
    resumed, saved = ResNet20(4, True), load_state(tmp_path / "epoch1.pt")
    for epoch in (2, 3):
        saved = train_epoch(resumed, saved, data, F.cross_entropy, config, epoch, seed=5, progress=False)
    assert saved.loss == state.loss and saved.epoch == 3
    for name, tensor in chained.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
    assert saved.scheduler["last_epoch"] == 3 and saved.scheduler["_last_lr"] == [0.05 * 0.5]


def test_an_epoch_out_of_order_is_refused(data_root):
    data = load_cifar10(data_root, "train")
    model = ResNet20(4, True)
    config = EpochConfig(batch_size=48, augment=False)
    state = train_epoch(model, None, data, F.cross_entropy, config, 1, 0, progress=False)
    with pytest.raises(ValueError, match="epoch 3 does not follow"):
        train_epoch(model, state, data, F.cross_entropy, config, 3, 0, progress=False)


def test_augmentation_equals_a_per_sample_pad_crop_flip():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, 6, 7, generator=g)
    masks = torch.randint(0, 3, (5, 6, 7), generator=g)
    got_x, got_y = augment_batch(x, torch.arange(5), epoch_generator(1, 2))
    dense_x, dense_y = augment_batch(x, masks, epoch_generator(1, 2))
    draw = epoch_generator(1, 2)
    offsets = torch.randint(0, 2 * CROP_PADDING + 1, (2, 5), generator=draw)
    flips = torch.rand(5, generator=draw) < 0.5
    assert got_y.tolist() == list(range(5))
    for i in range(5):
        dy, dx = int(offsets[0, i]), int(offsets[1, i])
        window = lambda t: t[..., dy:dy + 6, dx:dx + 7].flip(-1) if flips[i] else t[..., dy:dy + 6, dx:dx + 7]
        torch.testing.assert_close(got_x[i], window(F.pad(x[i], (CROP_PADDING,) * 4)))
        reflected = F.pad(x[i][None], (CROP_PADDING,) * 4, mode="reflect")[0]
        torch.testing.assert_close(dense_x[i], window(reflected))
        padded_mask = F.pad(masks[i][None, None].float(), (CROP_PADDING,) * 4, mode="reflect")[0, 0]
        assert torch.equal(dense_y[i], window(padded_mask).long())


def test_the_problem_of_a_trained_module_matches_its_eval_mode(data_root):
    torch.manual_seed(0)
    model = ResNet20(4, False)
    data = load_cifar10(data_root, "train")
    train_epoch(model, None, data, F.cross_entropy, EpochConfig(batch_size=16), 1, 0, progress=False)
    spec = {"name": "resnet20", "residual": False, "width": 4, "eval_batches": 2, "eval_batch_size": 8,
            "split": "test", "data": {"root": str(data_root), "source": "synthetic"}, "dtype": "float64"}
    problem = make_problem(spec, dict(model.named_buffers()))
    theta = ParamSpec.from_module(model).flatten(dict(model.named_parameters())).double()
    x, y = load_cifar10(data_root, "test", limit=16)
    expected = evaluate_module(model.double(), (x.double(), y), F.cross_entropy, batch_size=8)
    got = problem.evaluate(theta)
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-10)
    assert got["accuracy"] == expected["accuracy"]
    batched = problem.loss_terms(theta[None].repeat(2, 1))["loss"]
    assert float(batched[1]) == pytest.approx(got["loss"], rel=1e-10)


def test_too_few_images_for_the_evaluation_batches_name_the_keys(data_root):
    spec = {"name": "resnet20", "width": 4, "eval_batches": 2, "eval_batch_size": 20,
            "data": {"root": str(data_root), "source": "synthetic"}}
    with pytest.raises(ValueError, match="eval_batches x eval_batch_size = 40"):
        make_problem(spec)


def test_the_trainer_writes_a_loadable_model(data_root, tmp_path):
    problem_spec = {"name": "resnet20", "width": 4, "eval_batches": 1, "eval_batch_size": 16, "split": "test",
                    "data": {"root": str(data_root), "source": "synthetic"}}
    train = {"optimizer": "sgd", "lr": 0.05, "batch_size": 16, "step_size": 1, "gamma": 0.5, "augment": True,
             "epochs": 2, "n_train": 32}
    result = RESNET20.train(problem_spec, train, {"variant": "plain", "seed": "3"}, {})
    save_trained(result, {name: str(tmp_path / f"{name}.{ext}")
                          for name, ext in (("model", "pt"), ("metrics", "json"), ("trajectory", "npz"))})
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["variant"] == "plain" and metrics["seed"] == 3 and metrics["epochs"] == 2
    assert metrics["test_error"] == pytest.approx(1 - metrics["test_accuracy"]) and not metrics["diverged"]
    problem, theta, spec = artifacts.load_problem(tmp_path / "model.pt", "float32")
    assert spec["residual"] is False and metrics["n_params"] == problem.spec.size == theta.numel()
    trajectory = artifacts.load_trajectory(tmp_path / "trajectory.npz")
    assert trajectory["thetas"].shape == (3, theta.numel()) and trajectory["steps"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(trajectory["thetas"][-1], theta.numpy())
    np.testing.assert_array_equal(trajectory["thetas"][0], problem.init(3).numpy())
    _, _, buffers = artifacts.load_model(tmp_path / "model.pt")
    assert float(buffers["bn1.running_var"].sub(1).abs().max()) > 1e-3  # trained statistics, not fresh ones
    x, y = load_cifar10(data_root, "test", limit=16)
    model = ResNet20(4, False)
    torch.nn.utils.vector_to_parameters(theta, model.parameters())
    model.load_state_dict({**model.state_dict(), **buffers})
    expected = evaluate_module(model, (x, y), F.cross_entropy, 16)
    assert problem.evaluate(theta)["loss"] == pytest.approx(expected["loss"], rel=1e-5)

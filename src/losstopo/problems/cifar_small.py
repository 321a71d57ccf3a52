"""Paper N's CIFAR-10 pair (Fig. 9): a CNN of 3 convolutional layers and an MLP with one hidden layer of 16.

Each is a `ModuleProblem` on a fixed subset of the training split ("loss", what a landscape shows as
the training objective) with the mean cross-entropy on the first `n_test` held-out images as "test".
Data come from `losstopo.data.cifar` (the real files or the synthetic stand-in in the same layout);
`losstopo.training.trainers.train_cifar_small` trains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from losstopo.data.cifar import load_cifar10
from losstopo.problems.base import ParamSpec
from losstopo.problems.module import ModuleProblem

MODELS = ("cnn", "mlp")
N_CLASSES = 10


def make_cnn(channels: tuple[int, int, int]) -> nn.Module:
    """Three 3x3 conv + ReLU + 2x2 max-pool blocks (32 -> 4 pixels), then a linear classifier."""
    a, b, c = channels
    return nn.Sequential(
        nn.Conv2d(3, a, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(b, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c * 4 * 4, N_CLASSES),
    )


def make_mlp(hidden: int) -> nn.Module:
    """Flattened 32x32x3 image -> `hidden` ReLU units -> 10 logits."""
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, hidden), nn.ReLU(),
                         nn.Linear(hidden, N_CLASSES))


@dataclass(frozen=True)
class CifarSmallConfig:
    """Where the data are, which model, and how many images the "loss" and "test" terms average over."""

    root: str = "data/cifar10"
    model: str = "cnn"
    channels: tuple[int, int, int] = (8, 16, 16)
    hidden: int = 16
    n_train: int = 1000
    n_eval: int = 256
    n_test: int = 256
    batch: int = 250
    dtype: torch.dtype = field(default=torch.float32)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"cifar_small model must be one of {MODELS}, got {self.model!r}")
        if min(self.n_train, self.n_eval, self.n_test, self.batch, self.hidden) < 1:
            raise ValueError("cifar_small n_train, n_eval, n_test, batch and hidden must be positive")
        if self.n_eval > self.n_train:
            raise ValueError(f"cifar_small n_eval={self.n_eval} exceeds n_train={self.n_train}")


class CifarSmall:
    """The CNN or MLP as a `Problem`: "loss" on the first n_eval training images, "test" on n_test others."""

    def __init__(self, config: CifarSmallConfig = CifarSmallConfig(),
                 buffers: dict[str, Tensor] | None = None) -> None:
        self.config = c = config
        self.train_data = load_cifar10(c.root, "train", c.n_train)
        test_data = load_cifar10(c.root, "test", c.n_test)
        make = (lambda: make_cnn(c.channels)) if c.model == "cnn" else (lambda: make_mlp(c.hidden))
        x, y = self.train_data
        self.train = ModuleProblem(make, chunks(x[: c.n_eval], y[: c.n_eval], c.batch), "cross_entropy",
                                   c.dtype, buffers)
        self.test = ModuleProblem(make, chunks(*test_data, c.batch), "cross_entropy", c.dtype, buffers)
        self.spec: ParamSpec = self.train.spec

    def init(self, seed: int) -> Tensor:
        return self.train.init(seed)

    def module(self, theta: Tensor) -> nn.Module:
        """A fresh module holding the parameters `theta` (for minibatch training)."""
        module = self.train.make_module().to(self.config.dtype)
        with torch.no_grad():
            for name, value in self.spec.unflatten(theta.detach()).items():
                module.get_parameter(name).copy_(value)
        return module

    def loss_terms(self, thetas: Tensor) -> dict[str, Tensor]:
        return {"loss": self.train.loss_terms(thetas)["loss"], "test": self.test.loss_terms(thetas)["loss"]}

    def loss(self, theta: Tensor) -> Tensor:
        return self.train.loss(theta)

    def evaluate(self, theta: Tensor) -> dict[str, float]:
        train, test = self.train.evaluate(theta), self.test.evaluate(theta)
        return {"loss": train["loss"], "accuracy": train["accuracy"], "test": test["loss"],
                "test_accuracy": test["accuracy"]}


def chunks(x: Tensor, y: Tensor, size: int) -> list[tuple[Tensor, Tensor]]:
    """(x, y) split into consecutive batches of at most `size` samples."""
    return list(zip(x.split(size), y.split(size)))


def build(settings: dict, buffers: dict[str, Tensor] | None = None) -> CifarSmall:
    """The registry's builder: the CIFAR CNN or MLP from a config slice (`dtype` as a string)."""
    from losstopo.problems.registry import DTYPES

    settings = dict(settings)
    dtype = DTYPES[settings.pop("dtype", "float32")]
    if "channels" in settings:
        settings["channels"] = tuple(settings["channels"])
    unknown = sorted(set(settings) - set(CifarSmallConfig.__dataclass_fields__))
    if unknown:
        raise ValueError(f"unknown cifar_small problem settings {unknown}; "
                         f"known: {sorted(CifarSmallConfig.__dataclass_fields__)}")
    return CifarSmall(CifarSmallConfig(dtype=dtype, **settings), buffers)

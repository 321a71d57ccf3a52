"""Minibatch training of an image model, one epoch per call, resumable and bitwise reproducible.

Every epoch starts from a `TrainState` (module, optimiser and scheduler state dicts) and returns the next,
so training can stop after any epoch and go on in another process. The shuffling and augmentation of
epoch e come from a generator seeded by (seed, e), never from global RNG state: epochs 1..3 in one call
chain equal epoch 1, save, load, epochs 2..3 (bitwise on CPU).
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

OPTIMIZERS = ("sgd", "adamw")
CROP_PADDING = 4

LossFn = Callable[[Tensor, Tensor], Tensor]
Dataset = tuple[Tensor, Tensor]


@dataclass(frozen=True)
class EpochConfig:
    """Optimiser, step schedule (lr times `gamma` every `step_size` epochs) and augmentation settings.

    `augment`: random crop (padding 4) and horizontal flip, applied to dense targets too.
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    batch_size: int = 128
    step_size: int = 1
    gamma: float = 0.1
    augment: bool = True

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"train optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.lr <= 0 or self.batch_size < 1 or self.step_size < 1:
            raise ValueError(f"train lr, batch_size and step_size must be positive, got {self}")


@dataclass
class TrainState:
    """Everything needed to go on after `epoch`: state dicts and that epoch's mean training loss/accuracy."""

    epoch: int
    model: dict[str, Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    loss: float
    accuracy: float


def save_state(path: str | Path, state: TrainState) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(asdict(state), path)


def load_state(path: str | Path) -> TrainState:
    try:
        return TrainState(**torch.load(path, map_location="cpu", weights_only=True))
    except (OSError, RuntimeError, TypeError) as err:
        raise ValueError(f"cannot read training state {path}: {err}; rerun the epoch that writes it") from err


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU generator that depends on (seed, epoch) only."""
    state = np.random.SeedSequence([int(seed), int(epoch)]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def augment_batch(x: Tensor, y: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Random crop after padding 4 on each side, and horizontal flip with probability 1/2, per sample.

    Images are zero-padded (He et al.); dense targets ([N, H, W], as the images) get the same crop and
    flip, and then both are reflection-padded so that every pixel keeps a true label.
    """
    n, _, height, width = x.shape
    offsets = torch.randint(0, 2 * CROP_PADDING + 1, (2, n), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    rows = (offsets[0, :, None] + torch.arange(height))[:, :, None]
    cols = (offsets[1, :, None] + torch.arange(width))[:, None, :]
    cols = torch.where(flips[:, None, None], cols.flip(-1), cols)
    if y.dim() == 3 and y.shape[-2:] == x.shape[-2:]:
        return _pad_crop(x, rows, cols, "reflect"), _pad_crop(y[:, None], rows, cols, "reflect")[:, 0]
    return _pad_crop(x, rows, cols, "constant"), y


def _pad_crop(t: Tensor, rows: Tensor, cols: Tensor, mode: str) -> Tensor:
    """Pad [N, C, H, W] by CROP_PADDING and take each sample's window of pixel rows x cols."""
    source = t if t.is_floating_point() else t.to(torch.float32)  # reflection padding needs floats
    padded = F.pad(source, (CROP_PADDING,) * 4, mode=mode)
    crops = padded[torch.arange(len(t))[:, None, None], :, rows, cols]  # [N, H, W, C]
    # contiguous: channels-last strides crash CPU conv backward (torch 2.14.1, heap corruption at 4 channels)
    return crops.permute(0, 3, 1, 2).contiguous().to(t.dtype)


def _optimizer(module: nn.Module, config: EpochConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adamw":
        return torch.optim.AdamW(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(module.parameters(), lr=config.lr, momentum=config.momentum,
                           weight_decay=config.weight_decay)


def _hits(out: Tensor, y: Tensor) -> tuple[int, int]:
    """Correct argmax predictions and their count (per sample, or per pixel for dense targets)."""
    return int((out.argmax(dim=1) == y).sum()), y.numel()


def train_epoch(module: nn.Module, state: TrainState | None, dataset: Dataset, loss_fn: LossFn,
                config: EpochConfig, epoch: int, seed: int, progress: bool = True) -> TrainState:
    """Train `module` for one epoch from `state` (None: from the module as it is) and return the new state.

    `dataset` is (inputs [N, C, H, W], targets) on the CPU; batches go to the module's device. `loss_fn`
    returns the mean loss of a batch. With a state, `epoch` must be the one after `state.epoch`.
    """
    if state is not None and epoch != state.epoch + 1:
        raise ValueError(f"epoch {epoch} does not follow the given state (after epoch {state.epoch})")
    device = next(module.parameters()).device
    optimizer = _optimizer(module, config)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.step_size, gamma=config.gamma)
    if state is not None:
        module.load_state_dict(state.model)
        optimizer.load_state_dict(state.optimizer)
        scheduler.load_state_dict(state.scheduler)
    generator = epoch_generator(seed, epoch)
    x_all, y_all = dataset
    order = torch.randperm(len(x_all), generator=generator)
    module.train()
    loss_sum, correct, count, n_seen = 0.0, 0, 0, 0
    bar = tqdm(order.split(config.batch_size), desc=f"epoch {epoch}", file=sys.stderr, disable=not progress)
    for index in bar:
        x, y = x_all[index], y_all[index]
        if config.augment:
            x, y = augment_batch(x, y, generator)
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad(set_to_none=True)
        out = module(x)
        loss = loss_fn(out, y)
        loss.backward()
        optimizer.step()
        hits, total = _hits(out.detach(), y)
        loss_sum, n_seen = loss_sum + float(loss.detach()) * len(x), n_seen + len(x)
        correct, count = correct + hits, count + total
        bar.set_postfix(loss=f"{loss_sum / n_seen:.4f}", acc=f"{correct / count:.3f}",
                        lr=f"{scheduler.get_last_lr()[0]:.3g}")
    scheduler.step()
    bar.close()
    mean_loss = loss_sum / max(n_seen, 1)
    print(f"epoch {epoch}: loss {mean_loss:.4f}, accuracy {correct / max(count, 1):.4f}"
          + ("" if math.isfinite(mean_loss) else " (non-finite: diverged)"), file=sys.stderr)
    return TrainState(
        epoch=epoch,
        model={k: v.detach().clone() for k, v in module.state_dict().items()},
        optimizer=copy.deepcopy(optimizer.state_dict()),
        scheduler=copy.deepcopy(scheduler.state_dict()),
        loss=mean_loss,
        accuracy=correct / max(count, 1),
    )


def evaluate_module(module: nn.Module, dataset: Dataset, loss_fn: LossFn,
                    batch_size: int) -> dict[str, float]:
    """Mean loss and accuracy of `module` in eval mode over `dataset`, in batches; its mode is restored."""
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    loss_sum, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in zip(*(t.split(batch_size) for t in dataset)):
            x, y = x.to(device), y.to(device)
            out = module(x)
            loss_sum += float(loss_fn(out, y)) * len(x)
            hits, total = _hits(out, y)
            correct, count = correct + hits, count + total
    module.train(was_training)
    return {"loss": loss_sum / len(dataset[0]), "accuracy": correct / count}


def epoch_trajectory(module: nn.Module, flatten: Callable[[nn.Module], Tensor], dataset: Dataset,
                     config: EpochConfig, epochs: int, seed: int, initial_loss: float,
                     epoch_loss: Callable[[TrainState, Tensor], float], progress: bool = True,
                     start: Tensor | None = None) -> tuple[list[Tensor], list[float], TrainState | None]:
    """`epochs` calls of `train_epoch` on cross-entropy, keeping the flat vector after each (0 = `start`, or
    the module as it is) and a loss per checkpoint (`initial_loss`, then `epoch_loss(state, theta)`)."""
    thetas, losses, state = [flatten(module) if start is None else start], [initial_loss], None
    for epoch in range(1, epochs + 1):
        state = train_epoch(module, state, dataset, F.cross_entropy, config, epoch, seed, progress)
        thetas.append(flatten(module))
        losses.append(epoch_loss(state, thetas[-1]))
    return thetas, losses, state

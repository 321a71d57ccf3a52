"""A small CNN and a synthetic image data set: the example of analysing a model of your own.

Images are 8 x 8, one channel, three classes: a horizontal bar, a vertical bar or a diagonal, at a
random position, plus Gaussian noise. Everything is generated from a seed; nothing is downloaded.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

SIZE = 8
CLASSES = 3


class SmallCNN(nn.Module):
    """conv 3x3 (channels) -> ReLU -> 2x2 max-pool -> linear to 3 classes."""

    def __init__(self, channels: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, channels, 3, padding=1)
        self.fc = nn.Linear(channels * (SIZE // 2) ** 2, CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc(h.flatten(start_dim=1))


def make_model(channels: int = 4) -> SmallCNN:
    """The factory a config entry names (`module: examples/cnn.py:make_model`)."""
    return SmallCNN(channels)


def bars(n: int, seed: int = 0, noise: float = 0.3) -> tuple[Tensor, Tensor]:
    """`n` images [n, 1, 8, 8] and labels [n]: 0 horizontal bar, 1 vertical bar, 2 diagonal."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % CLASSES
    pos = torch.randint(0, SIZE, (n,), generator=g)
    images = noise * torch.randn(n, 1, SIZE, SIZE, generator=g)
    rows = torch.arange(n)
    images[rows[labels == 0], 0, pos[labels == 0], :] += 1.0
    images[rows[labels == 1], 0, :, pos[labels == 1]] += 1.0
    diagonal = torch.eye(SIZE)
    images[labels == 2, 0] += diagonal
    return images, labels


def eval_batches(n: int = 96, batch_size: int = 48, seed: int = 1) -> list[tuple[Tensor, Tensor]]:
    """The evaluation batches a config entry names (`batches: examples/cnn.py:eval_batches`)."""
    images, labels = bars(n, seed)
    return list(zip(images.split(batch_size), labels.split(batch_size)))


def dataset(n: int = 96, seed: int = 1) -> torch.utils.data.TensorDataset:
    """The same images as a Dataset (`dataset: examples/cnn.py:dataset` with `batch_size`)."""
    return torch.utils.data.TensorDataset(*bars(n, seed))

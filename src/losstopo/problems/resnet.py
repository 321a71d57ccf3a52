"""ResNet-20 for CIFAR-10 (He et al. 2016, section 4.2), with a switch that removes every shortcut.

conv3x3 (w) -> 3 stages x 3 basic blocks of w, 2w, 4w channels (the first block of stages 2 and 3 halves
the resolution) -> global average pool -> linear; w = 16 is the paper's width. Downsampling shortcuts are
1x1 convolution + BatchNorm projections. `residual=False` drops the identity shortcuts and those
projections, as PyHessian's `residual_not` models do, so a plain block is conv-BN-ReLU-conv-BN-ReLU.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from losstopo.data.cifar import load_cifar10
from losstopo.problems.module import ModuleProblem
from losstopo.problems.registry import DTYPES

BLOCKS_PER_STAGE = 3
SOURCES = ("synthetic", "cifar10")


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers; with `residual`, the input (projected when its shape changes) is added back."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if residual and (stride != 1 or in_channels != out_channels):
            projection = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
            self.downsample = nn.Sequential(projection, nn.BatchNorm2d(out_channels))

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            out = out + (x if self.downsample is None else self.downsample(x))
        return torch.relu(out)


class ResNet20(nn.Module):
    """ResNet-20 of base width `width` (16 in He et al.), for 32 x 32 RGB images."""

    def __init__(self, width: int = 16, residual: bool = True, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        stages, channels = [], width
        for stage, out_channels in enumerate((width, 2 * width, 4 * width)):
            blocks = []
            for i in range(BLOCKS_PER_STAGE):
                stride = 2 if stage > 0 and i == 0 else 1
                blocks.append(BasicBlock(channels, out_channels, stride, residual))
                channels = out_channels
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


def make_resnet20(settings: dict[str, Any]) -> ResNet20:
    """The model that a problem spec (`width`, `residual`) describes."""
    return ResNet20(int(settings.get("width", 16)), bool(settings.get("residual", True)))


def build(settings: dict[str, Any], buffers: dict[str, Tensor] | None = None) -> ModuleProblem:
    """ResNet-20's cross-entropy on the first `eval_batches` x `eval_batch_size` images of a split.

    One batch is a fixed evaluation batch, several a loader mean; no augmentation, so it is deterministic.
    """
    data = settings.get("data") or {}
    if data.get("source") not in SOURCES or "root" not in data:
        raise ValueError(f"the resnet20 problem needs data: {{root: <folder>, source: one of {SOURCES}}}, "
                         f"got data={data!r}")
    n_batches, batch_size = int(settings.get("eval_batches", 1)), int(settings.get("eval_batch_size", 256))
    split = settings.get("split", "test")
    images, labels = load_cifar10(data["root"], split, limit=n_batches * batch_size)
    if len(labels) < n_batches * batch_size:
        raise ValueError(f"problem eval_batches x eval_batch_size = {n_batches * batch_size} exceeds the "
                         f"{len(labels)} {split} images under {data['root']}; lower them or add images")
    batches = list(zip(images.split(batch_size), labels.split(batch_size)))
    dtype = DTYPES[settings.get("dtype", "float32")]
    return ModuleProblem(lambda: make_resnet20(settings), batches, loss="cross_entropy", dtype=dtype,
                         buffers=buffers)

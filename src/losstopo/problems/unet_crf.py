"""UNet followed by a mean-field CRF layer (CRF-as-RNN, Zheng et al. 2015), for paper P's segmentation study.

The CRF keeps only the spatial Gaussian pairwise term with Potts compatibility. Its kernel is built
inside `forward` from the learnable bandwidth with pure tensor ops, so the whole model runs under
`torch.func.functional_call` + `vmap` over flat parameter vectors (landscapes, Hessians). Paper P's
reference UNet has depth 5 and width 16 (channels 16, 32, 64, 128, 256).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from losstopo.data.pets import CLASS_NAMES, load_pets
from losstopo.problems.module import ModuleProblem
from losstopo.problems.registry import DTYPES

SOURCES = ("synthetic", "pets")


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions, each followed by BatchNorm and ReLU (the UNet's building block)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class UNet(nn.Module):
    """A UNet with `depth` levels of `width * 2**level` channels, max-pool down and bilinear upsampling."""

    def __init__(self, depth: int, width: int, in_channels: int = 3,
                 n_classes: int = len(CLASS_NAMES)) -> None:
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"a UNet needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
        channels = [width * 2**level for level in range(depth)]
        self.down = nn.ModuleList(DoubleConv(a, b) for a, b in zip([in_channels, *channels[:-1]], channels))
        self.up = nn.ModuleList(DoubleConv(channels[i + 1] + channels[i], channels[i])
                                for i in reversed(range(depth - 1)))
        self.head = nn.Conv2d(channels[0], n_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        skips = []
        for level, block in enumerate(self.down):
            if level:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for block, skip in zip(self.up, reversed(skips[:-1])):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([skip, x], dim=1))
        return self.head(x)


class MeanFieldCRF(nn.Module):
    """Mean-field inference of a dense CRF with a spatial Gaussian kernel and Potts compatibility.

    Each iteration: Q = softmax(logits); m = (k * Q) per class with a Gaussian kernel k of learnable
    bandwidth (filter_size x filter_size, centre excluded, normalised to sum 1, zero padding at the
    border); logits = unary - w * (sum over other labels of m). Returns the last logits. The Gaussian
    is separable, so k * Q is a row pass and a column pass minus the centre tap (1 before normalising).
    Learnable: the smoothness weight w (initially 1) and log bandwidth (initially 3 pixels, DenseCRF's
    spatial default).
    """

    def __init__(self, iterations: int = 5, filter_size: int = 11, bandwidth: float = 3.0,
                 smoothness: float = 1.0) -> None:
        super().__init__()
        if iterations < 0 or filter_size < 3 or filter_size % 2 == 0:
            raise ValueError(f"the CRF needs iterations >= 0 and an odd filter size >= 3, got iterations="
                             f"{iterations}, filter_size={filter_size} (problem settings crf_iterations, "
                             f"crf_filter_size)")
        self.iterations = iterations
        self.filter_size = filter_size
        self.smoothness = nn.Parameter(torch.tensor([float(smoothness)]))  # shape [1]: ParamSpec needs >= 1-D
        self.log_bandwidth = nn.Parameter(torch.tensor([math.log(bandwidth)]))

    def gaussian(self) -> Tensor:
        """The 1-D Gaussian taps exp(-d^2 / (2 bandwidth^2)) for offsets d in [-r, r]; the centre tap is 1."""
        offsets = torch.arange(self.filter_size, dtype=self.log_bandwidth.dtype,
                               device=self.log_bandwidth.device) - self.filter_size // 2
        return torch.exp(-offsets**2 / (2 * torch.exp(2 * self.log_bandwidth)))

    def forward(self, unary: Tensor) -> Tensor:
        n_classes, size, r = unary.shape[1], self.filter_size, self.filter_size // 2
        g = self.gaussian()
        rows = g.reshape(1, 1, 1, size).expand(n_classes, 1, 1, size)  # depthwise: one filter per class
        cols = g.reshape(1, 1, size, 1).expand(n_classes, 1, size, 1)
        total = g.sum() ** 2 - 1
        logits = unary
        for _ in range(self.iterations):
            q = torch.softmax(logits, dim=1)
            blurred = F.conv2d(F.conv2d(q, rows, padding=(0, r), groups=n_classes), cols, padding=(r, 0),
                               groups=n_classes)
            message = (blurred - q) / total
            logits = unary - self.smoothness * (message.sum(dim=1, keepdim=True) - message)
        return logits


class UNetCRF(nn.Module):
    """UNet logits refined by the mean-field CRF layer: [N, 3, H, W] images -> [N, classes, H, W] logits."""

    def __init__(self, depth: int, width: int, crf_iterations: int = 5, crf_filter_size: int = 11) -> None:
        super().__init__()
        self.unet = UNet(depth, width)
        self.crf = MeanFieldCRF(crf_iterations, crf_filter_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.crf(self.unet(x))


def make_unet_crf(settings: dict[str, Any]) -> UNetCRF:
    """The model that a problem spec (`depth`, `width`, `crf_iterations`, `crf_filter_size`) describes."""
    return UNetCRF(int(settings["depth"]), int(settings["width"]), int(settings.get("crf_iterations", 5)),
                   int(settings.get("crf_filter_size", 11)))


def confusion_matrix(logits: Tensor, masks: Tensor) -> Tensor:
    """Pixel counts [true class, predicted class] of argmax predictions (int64, on the CPU)."""
    n_classes = logits.shape[1]
    predicted = logits.argmax(dim=1).reshape(-1).cpu()
    pairs = masks.reshape(-1).cpu() * n_classes + predicted
    return torch.bincount(pairs, minlength=n_classes**2).reshape(n_classes, n_classes)


def metrics_from_confusion(confusion: Tensor) -> dict[str, float]:
    """Mean-over-classes IoU and Dice, and pixel accuracy; classes in neither prediction nor target are
    left out of the means."""
    confusion = confusion.double()
    hits, in_target, in_prediction = confusion.diagonal(), confusion.sum(dim=1), confusion.sum(dim=0)
    present = (in_prediction + in_target) > 0
    iou = hits[present] / (in_prediction + in_target - hits)[present]
    dice = 2 * hits[present] / (in_prediction + in_target)[present]
    return {"iou": float(iou.mean()), "dice": float(dice.mean()),
            "pixel_accuracy": float(hits.sum() / confusion.sum())}


def segmentation_metrics(logits: Tensor, masks: Tensor) -> dict[str, float]:
    """IoU and Dice (means over classes) and pixel accuracy of logits [N, C, H, W] against masks [N, H, W]."""
    return metrics_from_confusion(confusion_matrix(logits, masks))


def evaluate_segmentation(module: nn.Module, images: Tensor, masks: Tensor,
                          batch_size: int) -> dict[str, float]:
    """Mean cross-entropy and segmentation metrics of `module` in eval mode over a whole split, in batches."""
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    loss_sum, confusion = 0.0, 0
    with torch.no_grad():
        for x, y in zip(images.split(batch_size), masks.split(batch_size)):
            logits = module(x.to(device))
            loss_sum += float(F.cross_entropy(logits, y.to(device), reduction="sum")) / y[0].numel()
            confusion = confusion + confusion_matrix(logits, y)
    module.train(was_training)
    return {"loss": loss_sum / len(images), **metrics_from_confusion(confusion)}


class SegmentationProblem(ModuleProblem):
    """A `ModuleProblem` whose evaluation reports segmentation metrics (IoU, Dice, pixel accuracy)."""

    def logits(self, theta: Tensor) -> Tensor:
        """The model's logits [N, classes, H, W] on every evaluation batch, in eval mode."""
        with torch.no_grad():
            return torch.cat([self.forward(theta, x.to(theta.device)) for x, _ in self.batches])

    def evaluate(self, theta: Tensor) -> dict[str, float]:
        masks = torch.cat([y for _, y in self.batches])
        with torch.no_grad():
            return {"loss": float(self.loss(theta)), **segmentation_metrics(self.logits(theta), masks)}


def build(settings: dict[str, Any], buffers: dict[str, Tensor] | None = None) -> SegmentationProblem:
    """The UNet-CRF problem on a fixed evaluation batch: the first `eval_batch_size` test images."""
    data = settings["data"]
    if data.get("source") not in SOURCES:
        raise ValueError(f"problem data.source must be one of {SOURCES}, got {data.get('source')!r}")
    images, masks = load_pets(data["root"], "test", int(settings["image_size"]),
                              limit=int(settings.get("eval_batch_size", 16)))
    dtype = DTYPES[settings.get("dtype", "float32")]
    return SegmentationProblem(lambda: make_unet_crf(settings), [(images, masks)], loss="cross_entropy",
                               dtype=dtype, buffers=buffers)

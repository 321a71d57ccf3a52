"""CIFAR-10 (Krizhevsky 2009) through torchvision's own `CIFAR10` class, and a synthetic copy in its layout.

Layout under a data root (what torchvision reads, and what `write_synthetic_cifar10` writes):

    cifar-10-batches-py/data_batch_1 .. data_batch_5, test_batch    pickled dicts: b"data" uint8 [N, 3072]
                                                                     (R, G, B planes of 32 x 32), b"labels"
    cifar-10-batches-py/batches.meta                                 pickled dict: b"label_names"

Images are normalised with the CIFAR-10 channel statistics; labels are int64.
"""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torchvision.datasets import CIFAR10

from losstopo.data import DatasetMissing

FOLDER = CIFAR10.base_folder
FILES = tuple(name for name, _ in CIFAR10.train_list + CIFAR10.test_list) + (CIFAR10.meta["filename"],)
SPLITS = ("train", "test")
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
LAYOUT = f"{FOLDER}/data_batch_1..5, {FOLDER}/test_batch and {FOLDER}/batches.meta (Python pickles)"


class LayoutCIFAR10(CIFAR10):
    """torchvision's `CIFAR10`, checking that the files exist instead of their md5 sums.

    torchvision accepts only the original files' checksums, which a synthetic copy in the same layout (the
    offline default) fails; reading goes through torchvision's own code either way.
    """

    meta = {**CIFAR10.meta, "md5": None}

    def _check_integrity(self) -> bool:
        base = Path(self.root) / self.base_folder
        return all((base / name).is_file() for name, _ in self.train_list + self.test_list)


def check_cifar10(root: str | Path) -> None:
    """Raise DatasetMissing (naming the folder, the layout and the fixes) unless `root` holds CIFAR-10."""
    base = Path(root) / FOLDER
    absent = [name for name in FILES if not (base / name).is_file()]
    if absent:
        raise DatasetMissing(
            f"CIFAR-10 not found under {base}: missing {absent}. Place the Python version of CIFAR-10 there "
            f"by hand ({LAYOUT}; unpack cifar-10-python.tar.gz inside {Path(root)}), set data.download: true "
            f"so that the workflow fetches it (losstopo.data.cifar.download_cifar10, needs internet), or use "
            f"the synthetic source"
        )


def download_cifar10(root: str | Path) -> None:
    """Fetch and unpack the real data set into `root/cifar-10-batches-py` (needs internet), then check it."""
    CIFAR10(root, train=True, download=True)
    check_cifar10(root)


def load_cifar10(root: str | Path, split: str, limit: int | None = None) -> tuple[Tensor, Tensor]:
    """The first `limit` (all if None) normalised images [N, 3, 32, 32] and int64 labels [N] of a split."""
    if split not in SPLITS:
        raise ValueError(f"CIFAR-10 split must be one of {SPLITS}, got {split!r}")
    check_cifar10(root)
    dataset = LayoutCIFAR10(root, train=split == "train")
    n = len(dataset) if limit is None else min(int(limit), len(dataset))
    pixels = torch.as_tensor(dataset.data[:n]).permute(0, 3, 1, 2).to(torch.float32) / 255
    images = (pixels - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return images, torch.as_tensor(dataset.targets[:n], dtype=torch.int64)


def write_synthetic_cifar10(root: str | Path, n_train: int, n_test: int, seed: int) -> None:
    """A learnable 10-class set in CIFAR-10's exact on-disk layout: class-coloured, class-oriented stripes.

    Class c has its own mean colour and stripe orientation (c * 18 degrees); each image draws a colour
    jitter, stripe period, phase and contrast, and pixel noise, so colour alone does not decide the class.
    """
    base = Path(root) / FOLDER
    base.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sizes = [len(ids) for ids in np.array_split(np.arange(n_train), 5)]
    batches = [(f"data_batch_{i + 1}", n, f"training batch {i + 1} of 5") for i, n in enumerate(sizes)]
    batches.append(("test_batch", n_test, "testing batch 1 of 1"))
    for name, n, label in batches:
        labels = rng.integers(0, len(CLASS_NAMES), size=n)
        data = np.zeros((n, 3072), np.uint8)
        for i, c in enumerate(labels):
            data[i] = _synthetic_image(rng, int(c))
        _write_py2_pickle(base / name, {
            _Py2Str(b"batch_label"): _Py2Str(label.encode()),
            _Py2Str(b"labels"): [int(c) for c in labels],
            _Py2Str(b"data"): data,
            _Py2Str(b"filenames"): [_Py2Str(f"synthetic_{name}_{i}.png".encode()) for i in range(n)],
        })
    _write_py2_pickle(base / CIFAR10.meta["filename"], {
        _Py2Str(b"label_names"): [_Py2Str(c.encode()) for c in CLASS_NAMES],
        _Py2Str(b"num_cases_per_batch"): max((n for _, n, _ in batches), default=0),
        _Py2Str(b"num_vis"): 3072,
    })


def _synthetic_image(rng: np.random.Generator, label: int) -> np.ndarray:
    """One 32 x 32 image of class `label` as CIFAR stores it: uint8 [3072], the R, G, B planes in turn."""
    y, x = np.mgrid[0:32, 0:32] / 32
    angle = np.pi * label / len(CLASS_NAMES)
    period = rng.uniform(0.2, 0.35)
    stripes = np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / period + rng.uniform(0, 2 * np.pi))
    hue = 2 * np.pi * label / len(CLASS_NAMES)
    colour = 128 + 60 * np.cos(hue + np.array([0.0, 2.1, 4.2])) + rng.normal(0, 30, 3)
    contrast = rng.uniform(25, 60)
    pixels = colour[:, None, None] + contrast * stripes[None] + rng.normal(0, 20, (3, 32, 32))
    return np.clip(pixels, 0, 255).astype(np.uint8).reshape(-1)


class _Py2Str(bytes):
    """A byte string pickled as Python 2's `str`, as in the real files: `pickle.load(f, encoding="latin1")`
    (torchvision) reads it as `str`, `encoding="bytes"` (the CIFAR web page's recipe) as `bytes`."""


class _Py2Pickler(pickle._Pickler):
    """The pure-Python pickler, writing `_Py2Str` with Python 2's string opcodes."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj: _Py2Str) -> None:
        raw = bytes(obj)
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[_Py2Str] = save_py2_str


def _write_py2_pickle(path: Path, data: dict) -> None:
    with open(path, "wb") as f:
        _Py2Pickler(f, protocol=2).dump(data)

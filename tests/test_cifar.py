"""CIFAR-10 via torchvision: hand-written copies in the real layout, the synthetic set, absence."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torchvision.datasets import CIFAR10

from losstopo.data import DatasetMissing
from losstopo.data.cifar import (
    CLASS_NAMES,
    MEAN,
    STD,
    LayoutCIFAR10,
    check_cifar10,
    load_cifar10,
    write_synthetic_cifar10,
)

NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def write_by_hand(root, sizes: dict[str, int]) -> dict[str, tuple[np.ndarray, list[int]]]:
    """Pickles with the keys torchvision reads (b"data" uint8 [N, 3072], b"labels") and batches.meta."""
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for name in NAMES:
        data = rng.integers(0, 256, size=(sizes.get(name, 2), 3072), dtype=np.uint8)
        labels = [int(c) for c in rng.integers(0, 10, size=len(data))]
        with open(base / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, f)
        written[name] = (data, labels)
    with open(base / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(CLASS_NAMES)}, f)
    return written


def test_the_loader_reads_a_hand_written_copy_in_the_real_layout(tmp_path):
    written = write_by_hand(tmp_path, {"data_batch_1": 3, "data_batch_2": 2, "test_batch": 4})
    images, labels = load_cifar10(tmp_path, "train")
    assert images.shape == (3 + 2 + 3 * 2, 3, 32, 32) and images.dtype == torch.float32
    expected_labels = sum((written[n][1] for n in NAMES[:5]), [])
    assert labels.dtype == torch.int64 and labels.tolist() == expected_labels
    # pixel (row 5, column 7) of the second image: its R, G, B planes at offsets 0, 1024, 2048 + 5 * 32 + 7
    raw = written["data_batch_1"][0][1, [5 * 32 + 7, 1024 + 5 * 32 + 7, 2048 + 5 * 32 + 7]]
    expected = (raw / 255 - np.array(MEAN)) / np.array(STD)
    np.testing.assert_allclose(images[1, :, 5, 7].numpy(), expected, rtol=1e-5)
    test_images, test_labels = load_cifar10(tmp_path, "test", limit=3)
    assert test_images.shape == (3, 3, 32, 32) and test_labels.tolist() == written["test_batch"][1][:3]


def test_the_synthetic_set_has_the_real_on_disk_layout(tmp_path):
    write_synthetic_cifar10(tmp_path, n_train=23, n_test=7, seed=0)
    base = tmp_path / "cifar-10-batches-py"
    sizes = []
    for name in NAMES:
        with open(base / name, "rb") as f:
            batch = pickle.load(f, encoding="bytes")  # the CIFAR-10 web page's recipe
        assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape[1] == 3072
        assert len(batch[b"labels"]) == len(batch[b"data"])
        sizes.append(len(batch[b"data"]))
    assert sum(sizes[:5]) == 23 and sizes[5] == 7
    with open(base / "batches.meta", "rb") as f:
        assert pickle.load(f, encoding="bytes")[b"label_names"] == [c.encode() for c in CLASS_NAMES]
    dataset = LayoutCIFAR10(tmp_path, train=False)
    assert dataset.classes == list(CLASS_NAMES) and len(dataset) == 7
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        CIFAR10(tmp_path, train=False)  # torchvision's md5 check: why LayoutCIFAR10 checks the layout instead


def test_the_synthetic_set_is_learnable(tmp_path):
    """Nearest class mean on the normalised images, fitted on train, beats chance (10%) by far on test."""
    write_synthetic_cifar10(tmp_path, n_train=400, n_test=200, seed=1)
    x, y = load_cifar10(tmp_path, "train")
    x_test, y_test = load_cifar10(tmp_path, "test")
    spectrum = lambda t: torch.fft.rfft2(t).abs().reshape(len(t), -1)  # phase-invariant stripe features
    features, features_test = spectrum(x), spectrum(x_test)
    means = torch.stack([features[y == c].mean(0) for c in range(10)])
    accuracy = float((torch.cdist(features_test, means).argmin(1) == y_test).float().mean())
    assert accuracy > 0.5


def test_same_seed_same_files(tmp_path):
    write_synthetic_cifar10(tmp_path / "a", 10, 5, seed=3)
    write_synthetic_cifar10(tmp_path / "b", 10, 5, seed=3)
    for name in NAMES + ["batches.meta"]:
        a = (tmp_path / "a" / "cifar-10-batches-py" / name).read_bytes()
        assert a == (tmp_path / "b" / "cifar-10-batches-py" / name).read_bytes()


def test_absent_data_raise_a_clear_error_naming_the_folder(tmp_path):
    folder = tmp_path / "nowhere" / "cifar-10-batches-py"
    calls = (lambda: check_cifar10(tmp_path / "nowhere"), lambda: load_cifar10(tmp_path / "nowhere", "test"))
    for call in calls:
        with pytest.raises(DatasetMissing) as err:
            call()
        message = str(err.value)
        assert str(folder) in message and "data_batch_1" in message and "test_batch" in message
        assert "batches.meta" in message and "download" in message
    assert issubclass(DatasetMissing, FileNotFoundError)


def test_a_partial_copy_names_the_missing_file(tmp_path):
    write_by_hand(tmp_path, {})
    (tmp_path / "cifar-10-batches-py" / "data_batch_4").unlink()
    with pytest.raises(DatasetMissing, match="'data_batch_4'"):
        check_cifar10(tmp_path)

"""Oxford-IIIT Pet through torchvision's loader: a hand-made fake copy, the synthetic copy, absent data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from losstopo.data import DatasetMissing
from losstopo.data.pets import CLASS_NAMES, MEAN, STD, check_pets, load_pets, write_synthetic_pets

COLOURS = {"Abyssinian_1": (255, 0, 0), "beagle_7": (0, 0, 255), "Bombay_3": (0, 255, 0)}


def trimap_of(k: int) -> np.ndarray:
    """An 8x8 trimap: the pet (1) in a 4x4 square at column k of the top half, a band (3), background (2)."""
    trimap = np.full((8, 8), 2, dtype=np.uint8)
    trimap[:4, k : k + 4] = 1
    trimap[4, :] = 3
    return trimap


def write_fake_pets(root: Path) -> None:
    """Three 8x8 solid-colour pets in the real layout: two in trainval, one in test."""
    base = root / "oxford-iiit-pet"
    (base / "images").mkdir(parents=True)
    (base / "annotations" / "trimaps").mkdir(parents=True)
    for k, (image_id, colour) in enumerate(COLOURS.items()):
        Image.new("RGB", (8, 8), colour).save(base / "images" / f"{image_id}.jpg", quality=95)
        Image.fromarray(trimap_of(k)).save(base / "annotations" / "trimaps" / f"{image_id}.png")
    (base / "annotations" / "trainval.txt").write_text("Abyssinian_1 1 1 1\nbeagle_7 12 2 3\n")
    (base / "annotations" / "test.txt").write_text("Bombay_3 7 1 5\n")


def test_torchvision_loader_reads_the_fake_copy_with_the_class_mapping(tmp_path: Path) -> None:
    write_fake_pets(tmp_path)
    check_pets(tmp_path)
    images, masks = load_pets(tmp_path, "trainval", size=8)
    assert images.shape == (2, 3, 8, 8) and images.dtype == torch.float32
    assert masks.shape == (2, 8, 8) and masks.dtype == torch.int64
    for k in range(2):
        assert torch.equal(masks[k], torch.as_tensor(trimap_of(k), dtype=torch.int64) - 1)
    assert CLASS_NAMES[int(masks[0, 0, 0])] == "foreground"
    assert CLASS_NAMES[int(masks[0, 7, 7])] == "background"
    assert CLASS_NAMES[int(masks[0, 4, 0])] == "boundary"
    red = (torch.tensor([1.0, 0.0, 0.0]) - torch.tensor(MEAN)) / torch.tensor(STD)
    torch.testing.assert_close(images[0].mean(dim=(1, 2)), red, atol=0.05, rtol=0)
    test_images, test_masks = load_pets(tmp_path, "test", size=8)
    assert test_images.shape[0] == 1 and torch.equal(test_masks[0], torch.as_tensor(trimap_of(2)).long() - 1)


def test_masks_are_resized_by_nearest_neighbour(tmp_path: Path) -> None:
    write_fake_pets(tmp_path)
    blocks = np.array([[1, 1, 2, 3], [1, 3, 2, 2], [3, 3, 1, 2], [2, 1, 1, 3]], dtype=np.uint8)
    Image.fromarray(np.kron(blocks, np.ones((2, 2), dtype=np.uint8))).save(
        tmp_path / "oxford-iiit-pet" / "annotations" / "trimaps" / "Abyssinian_1.png")
    images, masks = load_pets(tmp_path, "trainval", size=4, limit=1)
    assert images.shape == (1, 3, 4, 4)
    assert torch.equal(masks[0], torch.as_tensor(blocks, dtype=torch.int64) - 1)


def test_synthetic_copy_is_read_by_the_same_loader(tmp_path: Path) -> None:
    write_synthetic_pets(tmp_path, n_trainval=6, n_test=3, seed=0, size=32)
    check_pets(tmp_path)
    images, masks = load_pets(tmp_path, "trainval", size=16)
    test_images, _ = load_pets(tmp_path, "test", size=16)
    assert images.shape == (6, 3, 16, 16) and test_images.shape == (3, 3, 16, 16)
    assert set(masks.unique().tolist()) == {0, 1, 2}
    full = load_pets(tmp_path, "trainval", size=32)[1]
    # the boundary band separates object from background: no object pixel touches a background pixel
    for shift in ((0, 1), (1, 0)):
        a, b = full[:, : 32 - shift[0], : 32 - shift[1]], full[:, shift[0] :, shift[1] :]
        assert not ((a == 0) & (b == 1)).any() and not ((a == 1) & (b == 0)).any()


def test_synthetic_copy_is_deterministic(tmp_path: Path) -> None:
    write_synthetic_pets(tmp_path / "a", 3, 2, seed=4, size=24)
    write_synthetic_pets(tmp_path / "b", 3, 2, seed=4, size=24)
    for split in ("trainval", "test"):
        first, second = load_pets(tmp_path / "a", split, 24), load_pets(tmp_path / "b", split, 24)
        assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_absent_data_names_the_folder_layout_and_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissing) as error:
        load_pets(tmp_path, "test", size=8)
    message = str(error.value)
    assert str(tmp_path / "oxford-iiit-pet") in message
    for part in ("oxford-iiit-pet/images/*.jpg", "oxford-iiit-pet/annotations/trimaps/*.png",
                 "{trainval,test}.txt", "4 fields", "download"):
        assert part in message


def test_listed_but_missing_image_is_reported(tmp_path: Path) -> None:
    write_fake_pets(tmp_path)
    (tmp_path / "oxford-iiit-pet" / "images" / "beagle_7.jpg").unlink()
    with pytest.raises(DatasetMissing, match="beagle_7.jpg"):
        check_pets(tmp_path)


def test_malformed_split_line_names_file_and_line(tmp_path: Path) -> None:
    write_fake_pets(tmp_path)
    (tmp_path / "oxford-iiit-pet" / "annotations" / "test.txt").write_text("Bombay_3 7 1 5\nBombay_3 7\n")
    with pytest.raises(ValueError, match=r"test.txt, line 2: expected 4 fields"):
        check_pets(tmp_path)

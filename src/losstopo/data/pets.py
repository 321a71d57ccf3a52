"""Oxford-IIIT Pet segmentation (Parkhi et al. 2012) through torchvision, and a synthetic copy in its layout.

Layout under a data root (what torchvision's `OxfordIIITPet` reads, and what `write_synthetic_pets` writes):

    oxford-iiit-pet/images/<id>.jpg
    oxford-iiit-pet/annotations/trimaps/<id>.png       trimap values 1 pet, 2 background, 3 boundary
    oxford-iiit-pet/annotations/{trainval,test}.txt    lines "<id> <class> <species> <breed>"

Classes are trimap value - 1: 0 foreground (the pet), 1 background, 2 boundary ("not classified" band).
Images are resized bilinearly and masks by nearest neighbour to the same square size; images are
normalised with the ImageNet channel statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image, ImageDraw, ImageFilter
from torch import Tensor
from torchvision.datasets import OxfordIIITPet
from torchvision.transforms import InterpolationMode

from losstopo.data import DatasetMissing

FOLDER = "oxford-iiit-pet"
SPLITS = ("trainval", "test")
CLASS_NAMES = ("foreground", "background", "boundary")
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
LAYOUT = (f"{FOLDER}/images/*.jpg, {FOLDER}/annotations/trimaps/*.png and "
          f"{FOLDER}/annotations/{{trainval,test}}.txt (4 fields a line: id class species breed)")


@dataclass(frozen=True)
class JointResize:
    """Resize an (image, trimap) pair to size x size; return a normalised image and int64 classes."""

    size: int

    def __call__(self, image: Image.Image, trimap: Image.Image) -> tuple[Tensor, Tensor]:
        shape = [self.size, self.size]
        image = TF.resize(image, shape, interpolation=InterpolationMode.BILINEAR, antialias=True)
        trimap = TF.resize(trimap, shape, interpolation=InterpolationMode.NEAREST)
        pixels = TF.normalize(TF.to_tensor(image), MEAN, STD)
        return pixels, torch.as_tensor(np.array(trimap), dtype=torch.int64) - 1


def check_pets(root: str | Path) -> None:
    """Raise DatasetMissing (naming the folder, the layout and the fixes) unless `root` holds the data set."""
    base = Path(root) / FOLDER
    fix = (f"put the data set there (torchvision layout: {LAYOUT}), set data.download: true so that the "
           f"workflow fetches it (losstopo.data.pets.download_pets), or use the synthetic source")
    needed = [base / "images", base / "annotations" / "trimaps"]
    needed += [base / "annotations" / f"{split}.txt" for split in SPLITS]
    absent = [str(p) for p in needed if not p.exists()]
    if absent:
        raise DatasetMissing(f"Oxford-IIIT Pet not found under {base}: missing {absent}; {fix}")
    missing_files = []
    for split in SPLITS:
        for image_id in _split_ids(base, split):
            image = base / "images" / f"{image_id}.jpg"
            trimap = base / "annotations" / "trimaps" / f"{image_id}.png"
            missing_files += [str(path) for path in (image, trimap) if not path.exists()]
    if missing_files:
        raise DatasetMissing(f"Oxford-IIIT Pet under {base} is incomplete: {len(missing_files)} listed files "
                             f"are missing, e.g. {missing_files[:3]}; {fix}")


def _split_ids(base: Path, split: str) -> list[str]:
    """The image ids of a split list, checking its 4-field lines."""
    path = base / "annotations" / f"{split}.txt"
    ids = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if len(fields) != 4:
            raise ValueError(f"{path}, line {number}: expected 4 fields (id class species breed), "
                             f"got {line!r}")
        ids.append(fields[0])
    if not ids:
        raise DatasetMissing(f"{path} lists no images; expected lines 'id class species breed' ({LAYOUT})")
    return ids


def download_pets(root: str | Path) -> None:
    """Fetch and unpack the real data set into `root/oxford-iiit-pet` (needs internet), then check it."""
    OxfordIIITPet(root, split="trainval", target_types="segmentation", download=True)
    check_pets(root)


def load_pets(root: str | Path, split: str, size: int, limit: int | None = None) -> tuple[Tensor, Tensor]:
    """The first `limit` (all if None) images [N, 3, size, size] and masks [N, size, size] of a split."""
    check_pets(root)
    dataset = OxfordIIITPet(root, split=split, target_types="segmentation", transforms=JointResize(size))
    n = len(dataset) if limit is None else min(limit, len(dataset))
    pairs = [dataset[i] for i in range(n)]
    images = torch.stack([p[0] for p in pairs])
    masks = torch.stack([p[1] for p in pairs])
    unexpected = sorted(set(masks.unique().tolist()) - set(range(len(CLASS_NAMES))))
    if unexpected:
        raise ValueError(f"trimaps under {Path(root) / FOLDER}/annotations/trimaps hold values "
                         f"{[v + 1 for v in unexpected]}; Oxford-IIIT Pet trimaps hold only 1, 2 and 3")
    return images, masks


def write_synthetic_pets(root: str | Path, n_trainval: int, n_test: int, seed: int, size: int = 64) -> None:
    """Shapes (ellipses, polygons) on textured backgrounds with trimaps, in Oxford-IIIT Pet's layout."""
    base = Path(root) / FOLDER
    (base / "images").mkdir(parents=True, exist_ok=True)
    (base / "annotations" / "trimaps").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    counter = 0
    for split, n in (("trainval", n_trainval), ("test", n_test)):
        lines = []
        for _ in range(n):
            counter += 1
            shape = ("ellipse", "polygon")[int(rng.integers(2))]
            image_id = f"{shape}_{counter}"
            image, trimap = _synthetic_pair(rng, shape, size)
            image.save(base / "images" / f"{image_id}.jpg", quality=90)
            trimap.save(base / "annotations" / "trimaps" / f"{image_id}.png")
            label = 1 if shape == "ellipse" else 2
            lines.append(f"{image_id} {label} {label} 1")
        (base / "annotations" / f"{split}.txt").write_text("\n".join(lines) + "\n")


def _synthetic_pair(rng: np.random.Generator, shape: str, size: int) -> tuple[Image.Image, Image.Image]:
    """An RGB image of a textured shape on a textured background, and its trimap (1 shape, 2 back, 3 band)."""
    outline = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(outline)
    centre = rng.uniform(0.35, 0.65, size=2) * size
    if shape == "ellipse":
        radii = rng.uniform(0.15, 0.32, size=2) * size
        draw.ellipse([*(centre - radii), *(centre + radii)], fill=255)
    else:
        n_vertices = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n_vertices))
        radii = rng.uniform(0.15, 0.35, n_vertices) * size
        points = centre + np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        draw.polygon([tuple(p) for p in points], fill=255)
    band = max(1, size // 32)
    grown = np.array(outline.filter(ImageFilter.MaxFilter(2 * band + 1))) > 0
    shrunk = np.array(outline.filter(ImageFilter.MinFilter(2 * band + 1))) > 0
    inside = np.array(outline) > 0
    trimap = np.full((size, size), 2, dtype=np.uint8)
    trimap[inside] = 1
    trimap[grown & ~shrunk] = 3
    pixels = np.where(inside[..., None], _texture(rng, size, spots=True, lowest=90, highest=255),
                      _texture(rng, size, spots=False, lowest=0, highest=170))
    return Image.fromarray(pixels), Image.fromarray(trimap)


def _texture(rng: np.random.Generator, size: int, spots: bool, lowest: float, highest: float) -> np.ndarray:
    """Stripes (or spots) between two random colours in [lowest, highest], plus noise: uint8 [size, size, 3].

    Objects get lighter spotted textures and backgrounds darker stripes (overlapping ranges), so that a
    small network learns the task in a few epochs from local cues and shape.
    """
    y, x = np.mgrid[0:size, 0:size] / size
    angle, frequency, phase = rng.uniform(0, np.pi), rng.uniform(2, 10), rng.uniform(0, 2 * np.pi)
    u, v = x * np.cos(angle) + y * np.sin(angle), y * np.cos(angle) - x * np.sin(angle)
    wave = np.sin(2 * np.pi * frequency * u + phase)
    if spots:
        wave = wave * np.sin(2 * np.pi * frequency * v + phase)
    colours = rng.uniform(lowest, highest, size=(2, 3))
    pixels = colours[0] + (0.5 + 0.5 * wave)[..., None] * (colours[1] - colours[0])
    pixels = pixels + rng.normal(0, 12, (size, size, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)

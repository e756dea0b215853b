"""Slice datasets laid out as `images/` + `masks/` (same stem), splits and k-fold cross-validation.

Images are PNG/JPEG lung-window 8-bit slices that are already framed (CONTRACTS.md section 1, step 2: the
frame is the whole image); RGB is averaged to grey. Masks are binary, any value > 127 is infection.
Everything is decoded once and kept in memory at its native size (50 slices of ~400 px: ~10 MB).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


class DatasetError(Exception):
    """Base class of the failures to read a training dataset."""


class DatasetLayoutError(DatasetError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class SliceDecodeError(DatasetError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class Slice:
    """One training pair at native size: `image` uint8 H x W grey, `mask` bool H x W."""

    name: str
    image: np.ndarray
    mask: np.ndarray


def _by_stem(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise DatasetLayoutError(f"read dataset: folder {folder} does not exist")
    files = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            if path.stem in files:
                raise DatasetLayoutError(f"read dataset: two files share the stem {path.stem} in {folder}")
            files[path.stem] = path
    return files


def _decode_grey(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            if image.mode in ("L", "P", "1"):
                return np.asarray(image.convert("L"), dtype=np.uint8)
            # Average the colour channels, as the server does for uploads (CONTRACTS.md section 1, step 1).
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
            return np.round(rgb.mean(axis=2)).astype(np.uint8)
    except OSError as error:
        raise SliceDecodeError(f"decode slice {path}: {error}") from error


def load_slices(root: Path) -> list[Slice]:
    """Reads every `root/images/<stem>` with its `root/masks/<stem>`, sorted numerically when stems are numbers."""
    images = _by_stem(root / "images")
    masks = _by_stem(root / "masks")
    if set(images) != set(masks):
        missing = sorted(set(images) ^ set(masks))[:5]
        raise DatasetLayoutError(f"read dataset {root}: images and masks differ, e.g. {missing}")
    if not images:
        raise DatasetLayoutError(f"read dataset {root}: no PNG/JPEG slices in {root / 'images'}")
    slices = []
    for stem in sorted(images, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s)):
        image = _decode_grey(images[stem])
        mask = _decode_grey(masks[stem]) > 127
        if image.shape != mask.shape:
            raise DatasetLayoutError(
                f"read dataset {root}: slice {stem} image is {image.shape} but its mask is {mask.shape}"
            )
        slices.append(Slice(stem, image, mask))
    return slices


def k_fold_indices(count: int, folds: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """Deterministic k-fold split of range(count): a seeded shuffle, then folds of near-equal size.

    Returns (train, validation) index lists; every index is in exactly one validation fold.
    """
    if folds < 2 or folds > count:
        raise DatasetLayoutError(f"split dataset: cannot make {folds} folds of {count} slices")
    order = list(range(count))
    random.Random(seed).shuffle(order)
    splits = []
    for fold in range(folds):
        validation = sorted(order[fold::folds])
        held = set(validation)
        splits.append(([i for i in range(count) if i not in held], validation))
    return splits


def split_indices(count: int, validation_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Deterministic single train/validation split, the validation part rounded and at least one slice."""
    if not 0.0 < validation_fraction < 1.0 or count < 2:
        raise DatasetLayoutError(f"split dataset: validation fraction {validation_fraction} of {count} slices")
    order = list(range(count))
    random.Random(seed).shuffle(order)
    size = max(1, round(count * validation_fraction))
    return sorted(order[size:]), sorted(order[:size])


def volume_of(name: str) -> str:
    """The source volume of a pseudo-labelled slice named `Data-1_<volume>_<slice>` (the part before the
    last underscore); a name without an underscore is its own volume."""
    return name.rsplit("_", 1)[0] if "_" in name else name


_RADIOPAEDIA_CASE = re.compile(r"radiopaedia_org_covid-19-pneumonia-(\d+)_\d+_\d+-dcm$")


def patient_of(name: str) -> str:
    """The patient of a slice: its volume, except that Radiopaedia volumes of one case (several series or
    studies of one patient, `covid-19-pneumonia-<case>_<study>_<series>-dcm`) are one patient."""
    volume = volume_of(name)
    match = _RADIOPAEDIA_CASE.search(volume)
    return f"radiopaedia-case-{match.group(1)}" if match else volume


def volume_split(slices: list[Slice], validation_volumes: int, seed: int) -> tuple[list[Slice], list[Slice]]:
    """Splits slices by patient (`patient_of`: no patient, hence no volume, on both sides): `validation_volumes`
    patients, chosen by a seeded shuffle of the sorted patient names, go to validation."""
    volumes = sorted({patient_of(s.name) for s in slices})
    if not 0 < validation_volumes < len(volumes):
        raise DatasetLayoutError(f"split dataset by volume: cannot hold out {validation_volumes} of {len(volumes)} volumes")
    order = list(volumes)
    random.Random(seed).shuffle(order)
    held = set(order[:validation_volumes])
    return [s for s in slices if patient_of(s.name) not in held], [s for s in slices if patient_of(s.name) in held]

"""The multi-class doctor slices: lung-window images plus palette PNG label masks (0 background, 1 ground-glass
opacity, 2 consolidation), as in `covid-infection/train-multiclass/` and `npm run evaluate -- --multiclass`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .dataset import DatasetLayoutError, SliceDecodeError, _by_stem, _decode_grey

MAX_LABEL = 2


@dataclass(frozen=True)
class LabelledSlice:
    """One slice at native size: `image` uint8 H x W grey, `labels` uint8 H x W (0 / 1 GGO / 2 consolidation)."""

    name: str
    image: np.ndarray
    labels: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        """The infection union, bool H x W (what the binary masks hold)."""
        return self.labels > 0


def decode_labels(path: Path) -> np.ndarray:
    """Palette (or 8-bit grey) PNG -> its label indices. Never converts a palette image to grey: that would
    give the palette colours' luminance, not the labels."""
    try:
        with Image.open(path) as image:
            if image.mode not in ("P", "L"):
                raise SliceDecodeError(f"decode label mask {path}: mode {image.mode}, expected a palette or 8-bit grey PNG")
            labels = np.asarray(image, dtype=np.uint8).copy()
    except OSError as error:
        raise SliceDecodeError(f"decode label mask {path}: {error}") from error
    if labels.size and labels.max() > MAX_LABEL:
        raise DatasetLayoutError(f"decode label mask {path}: label {labels.max()} is not 0, 1 or 2")
    return labels


def load_labelled_slices(images_dir: Path, masks_dir: Path) -> list[LabelledSlice]:
    """Every `images_dir/<stem>` with `masks_dir/<stem>.png`, numeric stems in numeric order."""
    images = _by_stem(images_dir)
    masks = _by_stem(masks_dir)
    if set(images) != set(masks):
        missing = sorted(set(images) ^ set(masks))[:5]
        raise DatasetLayoutError(f"read multi-class dataset {images_dir} + {masks_dir}: images and masks differ, e.g. {missing}")
    if not images:
        raise DatasetLayoutError(f"read multi-class dataset: no PNG/JPEG slices in {images_dir}")
    out = []
    for stem in sorted(images, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s)):
        image = _decode_grey(images[stem])
        labels = decode_labels(masks[stem])
        if image.shape != labels.shape:
            raise DatasetLayoutError(f"read multi-class dataset: slice {stem} image is {image.shape}, its mask {labels.shape}")
        out.append(LabelledSlice(stem, image, labels))
    return out

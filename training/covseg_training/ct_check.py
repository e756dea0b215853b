"""Sanity check on a real CT series: how much of the lung volume would the model call infected?

    /usr/bin/python3 -m covseg_training.ct_check --dicom-dir /tmp/lidc/<series> --checkpoint runs/final/last.pt

A Python re-implementation of the serving path of CONTRACTS.md section 1 (window, lung-bbox framing,
resize, x/255), with a classical lung mask that approximates libs/segmentation/src/lung (HU < -320, air
touching the border removed, the one or two largest 3-D components, per-slice closing and hole filling;
unlike the server it closes both lungs together, so lungs closer than 20 mm can be bridged).
It is a check for the model, not the served figure: the server's own measurement is authoritative.
Needs pydicom (Debian python3-pydicom); uncompressed transfer syntaxes only.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from .export_onnx import load_checkpoint
from .tta import TTA_CHOICES, with_tta
from .unet import UNet


class CtCheckError(Exception):
    """Base class of the failures of the CT sanity check."""


class SeriesReadError(CtCheckError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def read_series(folder: Path) -> tuple[np.ndarray, tuple[float, float]]:
    """HU volume (slices x rows x columns, int16, sorted by position along the normal) and (row, column) mm."""
    import pydicom  # only this check needs it

    datasets = [pydicom.dcmread(str(p)) for p in sorted(folder.glob("*.dcm"))]
    if len(datasets) < 2:
        raise SeriesReadError(f"read CT series {folder}: fewer than two .dcm files")
    normal = np.cross(*np.array(datasets[0].ImageOrientationPatient, dtype=float).reshape(2, 3))
    datasets.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, dtype=float))))
    hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in datasets])
    row_mm, column_mm = (float(v) for v in datasets[0].PixelSpacing)  # PS3.3 C.7.6.2.1.1: row spacing first
    return hu.astype(np.int16), (row_mm, column_mm)


def lung_mask(hu: np.ndarray, spacing: tuple[float, float]) -> np.ndarray:
    air = hu < -320
    for z in range(air.shape[0]):
        labels, _ = ndimage.label(air[z])
        border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        air[z] &= ~np.isin(labels, border[border > 0])
    labels, count = ndimage.label(air)
    if count == 0:
        return air
    sizes = ndimage.sum(air, labels, range(1, count + 1))
    order = np.argsort(sizes)[::-1]
    keep = [order[0] + 1] + ([order[1] + 1] if count > 1 and sizes[order[1]] >= 0.15 * sizes[order[0]] else [])
    lungs = np.isin(labels, keep)
    radius = round(10 / min(spacing))
    side = 2 * radius + 1
    for z in range(lungs.shape[0]):
        if lungs[z].any():
            # A square closing is separable: max then min filters are much faster than binary_closing here.
            padded = np.pad(lungs[z], radius).astype(np.uint8)
            closed = ndimage.minimum_filter(ndimage.maximum_filter(padded, size=side, mode="constant"), size=side, mode="constant")
            lungs[z] = ndimage.binary_fill_holes(closed[radius:-radius, radius:-radius].astype(bool))
    return lungs


def frame(lung: np.ndarray, spacing: tuple[float, float], margin: float, min_mm: float, min_area_mm2: float):
    """(y0, y1, x0, x1) pixel frame of one slice, or None when the lung is under min_area_mm2."""
    ys, xs = np.nonzero(lung)
    if ys.size * spacing[0] * spacing[1] < min_area_mm2 or ys.size == 0:
        return None

    def grow(lo: int, hi: int, minimum: float, limit: int) -> tuple[int, int]:
        length = hi - lo
        a, b = lo - margin * length, hi + margin * length
        if b - a < minimum:
            centre = (lo + hi) / 2
            a, b = centre - minimum / 2, centre + minimum / 2
        return max(0, int(np.floor(a))), min(limit, int(np.ceil(b)))

    y0, y1 = grow(ys.min(), ys.max() + 1, min_mm / spacing[0], lung.shape[0])
    x0, x1 = grow(xs.min(), xs.max() + 1, min_mm / spacing[1], lung.shape[1])
    return y0, y1, x0, x1


def infection_probability(model: UNet, hu: np.ndarray, lungs: np.ndarray, spacing, center=-600.0, width=1500.0):
    """Probability volume like hu (float32), 0 outside each slice's frame; slices without a frame stay 0."""
    size, channels = model.config.input_size, model.config.input_channels
    prob = np.zeros(hu.shape, dtype=np.float32)
    model.eval()
    windowed = np.clip(np.round((hu.astype(np.float32) - (center - width / 2)) / width * 255), 0, 255)
    with torch.no_grad():
        for z in range(hu.shape[0]):
            box = frame(lungs[z], spacing, 0.05, 160, 500)
            if box is None:
                continue
            y0, y1, x0, x1 = box
            crop = torch.from_numpy(windowed[z, y0:y1, x0:x1] / 255.0)[None, None].float()
            x = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False)
            p = model(x.repeat(1, channels, 1, 1))
            prob[z, y0:y1, x0:x1] = F.interpolate(p, size=(y1 - y0, x1 - x0), mode="bilinear", align_corners=False)[0, 0].numpy()
    return prob


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dicom-dir", type=Path, required=True)
    parser.add_argument("--checkpoint", type=Path, nargs="+", required=True)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8, 0.9])
    parser.add_argument("--tta", choices=TTA_CHOICES, default="none",
                        help="test-time augmentation around the model (hflip: mean with the mirrored prediction)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    hu, spacing = read_series(args.dicom_dir)
    lungs = lung_mask(hu, spacing)
    for checkpoint in args.checkpoint:
        prob = infection_probability(with_tta(load_checkpoint(checkpoint), args.tta), hu, lungs, spacing)
        fractions = {str(t): round(float(((prob >= t) & lungs).sum() / lungs.sum()), 5) for t in args.thresholds}
        print(json.dumps({"checkpoint": str(checkpoint), "tta": args.tta, "lung_voxels": int(lungs.sum()), "infected_fraction_of_lung_by_threshold": fractions}))


if __name__ == "__main__":
    main()

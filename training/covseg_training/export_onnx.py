"""ONNX export of the U-Net with the metadata contract of docs/CONTRACTS.md section 2.

The exported graph takes `input` (float32, N x C x S x S, dynamic N, values x/255) and returns `prob`
(float32, N x 1 x S x S, sigmoid probabilities). All metadata values are strings.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import onnx
import torch

from .unet import UNet, UNetConfig

OPSET = 13

TRAINING_DATA = (
    "Inf-Net COVID-SemiSeg doctor-labelled training set (50 axial CT slices, binary infection masks), "
    "DengPingFan/Inf-Net@fb3a03b5, derived from the MedSeg COVID-19 CT segmentation dataset (SIRM images); "
    "no explicit data licence: research use only; images not redistributed"
)


class ExportError(Exception):
    """Base class of the failures of the ONNX export step."""


class MetadataError(ExportError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def build_metadata(
    config: UNetConfig,
    *,
    trained: bool,
    threshold: float = 0.5,
    cv_metrics: Mapping[str, Any] | None = None,
    version: str = "1.0.0",
    window_center: float = -600,
    window_width: float = 1500,
    frame_margin: float = 0.05,
    min_frame_mm: float = 160,
    min_lung_area_mm2: float = 500,
    training_data: str = TRAINING_DATA,
    tta: str = "none",
    min_component_ml: float = 0.0,
) -> dict[str, str]:
    """The `covseg.*` metadata_props of CONTRACTS.md section 2; window in HU, frame sizes in mm / mm^2."""
    if not 0.0 < threshold < 1.0:
        raise MetadataError(f"build ONNX metadata: threshold {threshold} is not inside (0, 1)")
    if window_width <= 0:
        raise MetadataError(f"build ONNX metadata: window width {window_width} HU is not positive")
    return {
        "covseg.name": "covseg-unet",
        "covseg.version": version,
        "covseg.input_size": str(config.input_size),
        "covseg.input_channels": str(config.input_channels),
        "covseg.window_center": _number(window_center),
        "covseg.window_width": _number(window_width),
        "covseg.framing": "lung-bbox",
        "covseg.frame_margin": _number(frame_margin),
        "covseg.min_frame_mm": _number(min_frame_mm),
        "covseg.min_lung_area_mm2": _number(min_lung_area_mm2),
        "covseg.normalization": "unit",
        "covseg.threshold": _number(threshold),
        "covseg.training_data": training_data,
        "covseg.cv_metrics": json.dumps(dict(cv_metrics or {}), sort_keys=True),
        "covseg.trained": "trained" if trained else "untrained",
        # Informative: test-time augmentation already inside the graph (hflip: mean with the mirrored
        # prediction); callers run the graph as they would without it.
        "covseg.tta": tta,
        # Volume path only (server): 3-D infection components below this volume are dropped; 0 = off.
        "covseg.min_component_ml": _number(min_component_ml),
        "covseg.architecture": json.dumps(
            {"type": "unet", "base_width": config.base_width, "depth": config.depth}, sort_keys=True
        ),
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def export_onnx(model: torch.nn.Module, path: Path, metadata: Mapping[str, str]) -> None:
    """Writes `model` (a UNet, or a UNet wrapped by tta.with_tta; put in eval mode here) to `path` as an ONNX file with `metadata` as metadata_props."""
    config = model.config
    model.eval()
    dummy = torch.zeros(1, config.input_channels, config.input_size, config.input_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        dummy,
        str(path),
        input_names=["input"],
        output_names=["prob"],
        dynamic_axes={"input": {0: "N"}, "prob": {0: "N"}},
        opset_version=OPSET,
        do_constant_folding=True,
    )
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise MetadataError(f"export ONNX to {path}: metadata value of {key} is not a string")
        entry = proto.metadata_props.add()
        entry.key = key
        entry.value = value
    proto.producer_name = "covseg-training"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def read_metadata(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def write_parity_sample(model: torch.nn.Module, directory: Path, batch: int = 2, seed: int = 0,
                        output_names: tuple[str, ...] = ("prob",)) -> Path:
    """Saves a random input batch and PyTorch's output(s) for `check_parity.mjs`.

    Files: `input.bin` and `expected.bin` (float32 little-endian, NCHW; the first output, `prob`) and
    `sample.json` with their shapes. A model returning several tensors (a multi-class model: `prob`,
    `consolidation`) writes each further one to `expected-<name>.bin`, and `sample.json` lists them all
    under `outputs`, so the check compares every output by name.
    """
    config = model.config
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, config.input_channels, config.input_size, config.input_size, generator=generator)
    model.eval()
    with torch.no_grad():
        ys = model(x)
    ys = ys if isinstance(ys, tuple) else (ys,)
    if len(ys) != len(output_names):
        raise ExportError(f"write parity sample: the model returns {len(ys)} outputs, named {output_names}")
    directory.mkdir(parents=True, exist_ok=True)
    x.numpy().astype("<f4").tofile(directory / "input.bin")
    outputs = []
    for index, (name, y) in enumerate(zip(output_names, ys)):
        file = "expected.bin" if index == 0 else f"expected-{name}.bin"
        y.numpy().astype("<f4").tofile(directory / file)
        outputs.append({"name": name, "file": file, "shape": list(y.shape)})
    sample = {"input_shape": list(x.shape), "output_shape": list(ys[0].shape)}
    if len(ys) > 1:
        sample["outputs"] = outputs
    (directory / "sample.json").write_text(json.dumps(sample), encoding="utf-8")
    return directory


def load_checkpoint(path: Path) -> UNet:
    """Rebuilds a UNet from a checkpoint written by train.py (`config` dict plus `state_dict`)."""
    checkpoint = torch.load(str(path), map_location="cpu")
    model = UNet(UNetConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model


def as_float32(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)

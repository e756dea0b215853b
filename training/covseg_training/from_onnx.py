"""Command line: rebuild a PyTorch checkpoint from a shipped covseg ONNX file (its training checkpoint is gone).

    /usr/bin/python3 -m covseg_training.from_onnx --onnx ../models/covseg-unet.onnx --out runs/v110/last.pt

The export folded every BatchNorm into the convolution before it (a fused weight and a bias), and a
`--tta hflip` export holds the network twice (same weights, the second copy's nodes end in `_1`). So each
`Conv2d` (bias-free in `unet.py`) gets the fused weight, and its BatchNorm becomes the identity plus the
fused bias: running mean 0, running variance 1 - eps, scale 1, shift = bias. In eval mode that is exactly
the exported network. Fine-tune it with `--freeze-batchnorm` (the BatchNorm statistics stay fixed and the
network trains as a plain convolution + bias stack); batch statistics would change what it computes.
The checkpoint records the ONNX file and its `covseg.version` as its origin.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import onnx
import torch
from onnx import numpy_helper

from .export_onnx import read_metadata
from .unet import UNet, UNetConfig


class OnnxImportError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def _fused_convs(graph) -> dict[str, tuple[str, str]]:
    """Module path of each Conv/ConvTranspose of the first copy of the network -> (weight, bias) names."""
    out = {}
    for node in graph.node:
        if node.op_type not in ("Conv", "ConvTranspose"):
            continue
        scope = node.name.rsplit("/", 1)[0].split("/")[-1]  # e.g. encoders.0.0, bottleneck.3, upsamplers.0, head
        if scope.endswith("_1") or len(node.input) < 3:
            continue  # the mirrored copy of the TTA graph, same weights
        if node.op_type == "ConvTranspose" or scope == "head":
            scope = node.name.split("/")[-2]  # /net/upsamplers.0/ConvTranspose, /net/head/Conv
        out.setdefault(scope, (node.input[1], node.input[2]))
    return out


def unet_from_onnx(path: Path) -> tuple[UNet, dict[str, str]]:
    model_proto = onnx.load(str(path))
    metadata = read_metadata(path)
    architecture = json.loads(metadata.get("covseg.architecture", "{}"))
    config = UNetConfig(int(architecture.get("base_width", 16)), int(architecture.get("depth", 4)),
                        int(metadata["covseg.input_channels"]), int(metadata["covseg.input_size"]))
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model_proto.graph.initializer}
    # The exporter stores equal initializers once and hands the copies out through Identity nodes (e.g. the
    # all-zero fused biases of an untrained network): follow them.
    for node in model_proto.graph.node:
        if node.op_type == "Identity" and node.input[0] in weights:
            weights[node.output[0]] = weights[node.input[0]]
    convs = _fused_convs(model_proto.graph)
    model = UNet(config)
    state = model.state_dict()
    filled = set()

    def put(key: str, value: torch.Tensor) -> None:
        if key not in state or state[key].shape != value.shape:
            raise OnnxImportError(f"import {path}: {key} {tuple(value.shape)} does not fit the U-Net {asdict(config)}")
        state[key] = value
        filled.add(key)

    for scope, (weight, bias) in convs.items():
        if scope.startswith(("upsamplers.", "head")):
            put(f"{scope}.weight", weights[weight])
            put(f"{scope}.bias", weights[bias])
            continue
        # encoders.0.0 -> module encoders.0, conv index 0, BatchNorm index 1 (Conv, BN, ReLU, Conv, BN, ReLU)
        block, index = scope.rsplit(".", 1)
        bn = f"{block}.{int(index) + 1}"
        put(f"{block}.{index}.weight", weights[weight])
        bias_value = weights[bias]
        eps = next(m for n, m in model.named_modules() if n == bn).eps
        put(f"{bn}.weight", torch.ones_like(bias_value))
        put(f"{bn}.bias", bias_value)
        put(f"{bn}.running_mean", torch.zeros_like(bias_value))
        put(f"{bn}.running_var", torch.full_like(bias_value, 1.0 - eps))
    missing = [k for k in state if k not in filled and not k.endswith("num_batches_tracked")]
    if missing:
        raise OnnxImportError(f"import {path}: no ONNX weights for {missing[:5]}")
    model.load_state_dict(state)
    model.eval()
    return model, metadata


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="checkpoint to write (.pt, the train.py layout)")
    args = parser.parse_args(argv)
    model, metadata = unet_from_onnx(args.onnx)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": asdict(model.config), "train_config": {"origin": str(args.onnx),
                "origin_version": metadata.get("covseg.version"), "batchnorm": "folded into conv bias; freeze it"},
                "epoch": 0, "state_dict": model.state_dict()}, args.out)
    print(json.dumps({"checkpoint": str(args.out), "from": str(args.onnx), "version": metadata.get("covseg.version"),
                      "config": asdict(model.config)}))


if __name__ == "__main__":
    main()

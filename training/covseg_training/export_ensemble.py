"""Export an ensemble: a shipped model's graph plus a second binary network; `prob` becomes their mean.

    /usr/bin/python3 -m covseg_training.export_ensemble --base ../models/covseg-unet.onnx \\
        --base-binary runs/covseg-1.2.0.onnx --member runs/s9/semi-final/last.pt --tta hflip \\
        --cv-summary runs/s9/ensemble-mean.json --threshold 0.5 --out ../models/covseg-unet.onnx --version 1.4.0

The base graph is **copied node for node** (never re-exported), so every other output of it (`consolidation`)
is the base model's, bit for bit; only the tensor the base called `prob` is renamed (`member_1/prob`). The member
is exported from PyTorch on its own (with its test-time augmentation), every name of it prefixed `member_2/`,
its input wired to the graph input, and the new `prob` is `(member_1/prob + member_2/prob) / 2`. Metadata: every
key of the base, then `covseg.version`, `covseg.threshold`, the ensemble's binary CV in `covseg.cv_metrics` (the
per-class figures kept) and the members in `covseg.architecture.ensemble`.

Parity: the PyTorch reference of `prob` is the mean of the base binary network rebuilt from `--base-binary` (the
base's binary graph before any head was grafted: from_onnx.py reads a graph with one binary head) and the member,
both with the flip TTA; checked against onnxruntime-node.
"""
from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from .ensemble_cv import MeanEnsemble
from .export_multiclass import append_graph
from .export_onnx import OPSET, ExportError, _number, load_checkpoint, write_parity_sample
from .from_onnx import unet_from_onnx
from .parity import check_parity
from .tta import TTA_CHOICES, with_tta

OUTPUT_NAME = "prob"
BASE_PROB = "member_1/prob"
MEMBER_PREFIX = "member_2/"


class EnsembleGraftError(ExportError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def member_graph(model: torch.nn.Module) -> onnx.ModelProto:
    """The member (already wrapped with its TTA) as a standalone graph `input` -> `prob`."""
    config = model.config
    model.eval()
    buffer = io.BytesIO()
    dummy = torch.zeros(1, config.input_channels, config.input_size, config.input_size)
    torch.onnx.export(model, dummy, buffer, input_names=["input"], output_names=[OUTPUT_NAME],
                      dynamic_axes={"input": {0: "N"}, OUTPUT_NAME: {0: "N"}}, opset_version=OPSET,
                      do_constant_folding=True)
    return onnx.load_from_string(buffer.getvalue())


def graft_member(base: onnx.ModelProto, member: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `base` whose `prob` is the mean of the base's `prob` and `member`'s, the member's nodes appended
    with prefixed names. Base nodes are untouched but for the renamed `prob` tensor."""
    outputs = [o.name for o in base.graph.output]
    if OUTPUT_NAME not in outputs:
        raise EnsembleGraftError(f"graft an ensemble member: the base graph has no output named {OUTPUT_NAME}")
    base_input, member_input = base.graph.input[0], member.graph.input[0]
    if base_input.type.tensor_type.shape.dim[1:] != member_input.type.tensor_type.shape.dim[1:]:
        raise EnsembleGraftError("graft an ensemble member: its input shape differs from the base graph's")
    taken = {name for node in base.graph.node for name in [*node.input, *node.output]} | {
        i.name for i in base.graph.initializer}
    if BASE_PROB in taken:
        raise EnsembleGraftError(f"graft an ensemble member: the base graph already has a tensor {BASE_PROB}")

    def rename(name: str) -> str:
        if name == "":
            return name
        if name == member_input.name:
            return base_input.name
        renamed = MEMBER_PREFIX + name
        if renamed in taken:
            raise EnsembleGraftError(f"graft an ensemble member: name {renamed} already in the base graph")
        return renamed

    merged = onnx.ModelProto()
    merged.CopyFrom(base)
    for node in merged.graph.node:
        node.input[:] = [BASE_PROB if n == OUTPUT_NAME else n for n in node.input]
        node.output[:] = [BASE_PROB if n == OUTPUT_NAME else n for n in node.output]
    append_graph(merged.graph, member.graph, MEMBER_PREFIX, rename)
    half = "ensemble/half"
    merged.graph.initializer.append(numpy_helper.from_array(np.array(0.5, dtype=np.float32), half))
    merged.graph.node.extend([
        helper.make_node("Add", [BASE_PROB, MEMBER_PREFIX + OUTPUT_NAME], ["ensemble/sum"], name="ensemble/Add"),
        helper.make_node("Mul", ["ensemble/sum", half], [OUTPUT_NAME], name="ensemble/Mul"),
    ])
    onnx.checker.check_model(merged)
    return merged


def ensemble_metadata(base: dict[str, str], *, version: str, threshold: float, binary_metrics: dict,
                      members: list[dict], training_data: str) -> dict[str, str]:
    """The base's metadata with the ensemble's version, threshold, binary CV (per-class figures kept) and members."""
    if not 0.0 < threshold < 1.0:
        raise EnsembleGraftError(f"build ensemble metadata: threshold {threshold} is not inside (0, 1)")
    cv_metrics = json.loads(base.get("covseg.cv_metrics", "{}"))
    classes = cv_metrics.get("classes")
    cv_metrics = {**binary_metrics, **({"classes": classes} if classes is not None else {})}
    architecture = json.loads(base.get("covseg.architecture", "{}"))
    architecture["ensemble"] = {"combine": "mean of prob", "members": members}
    return {
        **base,
        "covseg.version": version,
        "covseg.threshold": _number(threshold),
        "covseg.cv_metrics": json.dumps(cv_metrics, sort_keys=True),
        "covseg.architecture": json.dumps(architecture, sort_keys=True),
        "covseg.training_data": base.get("covseg.training_data", "") + training_data,
    }


def binary_metrics_from_ensemble_cv(result: dict, threshold: float) -> dict:
    """The ensemble's figures of ensemble_cv's JSON that go into covseg.cv_metrics, at `threshold`."""
    if abs(result["threshold"] - threshold) > 1e-9:
        raise EnsembleGraftError(f"ensemble metadata: the CV summary is at threshold {result['threshold']}, "
                                 f"the export asks {threshold}")
    summary = result["summaries"]["ensemble"]
    figures = summary["metrics_last_epoch"]
    return {
        "cross_validated": True,
        "protocol": f"{summary['headline']['folds']}-fold slice-level CV: each fold's members trained without "
                    f"the fold's slices, averaged ({result['mode']})",
        "folds": summary["headline"]["folds"],
        "images": summary["headline"]["images"],
        "threshold": threshold,
        **{f"{m}_mean": figures[m]["mean"] for m in ("dice", "iou", "precision", "recall")},
        "dice_sd_images": figures["dice"]["sd_over_images"],
        "dice_fold_means": figures["dice"]["fold_means"],
        "dice_nested_threshold": summary["nested_threshold"]["dice_mean"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="the shipped ONNX model (every output kept)")
    parser.add_argument("--base-binary", type=Path, required=True,
                        help="the base's binary graph alone (one binary head), for the parity reference")
    parser.add_argument("--member", type=Path, required=True, help="the second network's checkpoint (.pt)")
    parser.add_argument("--tta", choices=TTA_CHOICES, default="hflip")
    parser.add_argument("--cv-summary", type=Path, required=True, help="ensemble_cv's JSON for these members")
    parser.add_argument("--threshold", type=float, required=True)
    parser.add_argument("--member-description", default="", help="where the member comes from (metadata)")
    parser.add_argument("--training-data", default="", help="appended to covseg.training_data")
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    member = with_tta(load_checkpoint(args.member), args.tta).eval()
    reference_base, _ = unet_from_onnx(args.base_binary)
    if reference_base.config.input_size != member.config.input_size:
        raise SystemExit(f"export ensemble: input sizes differ ({reference_base.config.input_size} and "
                         f"{member.config.input_size})")
    base = onnx.load(str(args.base))
    base_metadata = {p.key: p.value for p in base.metadata_props}
    merged = graft_member(base, member_graph(member))
    result = json.loads(args.cv_summary.read_text(encoding="utf-8"))
    members = [{"name": "base", "version": base_metadata.get("covseg.version"), "tta": "hflip"},
               {"name": "member_2", "base_width": member.config.base_width, "depth": member.config.depth,
                "tta": args.tta, "description": args.member_description}]
    metadata = ensemble_metadata(base_metadata, version=args.version, threshold=args.threshold,
                                 binary_metrics=binary_metrics_from_ensemble_cv(result, args.threshold),
                                 members=members, training_data=args.training_data)
    del merged.metadata_props[:]
    for key, value in metadata.items():
        entry = merged.metadata_props.add()
        entry.key, entry.value = key, value
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(merged, str(args.out))
    reference = MeanEnsemble([with_tta(reference_base.eval(), "hflip"), member])
    with tempfile.TemporaryDirectory() as tmp:
        report = check_parity(args.out, write_parity_sample(reference, Path(tmp)))
    print(json.dumps({"exported": str(args.out), "parity": report}))


if __name__ == "__main__":
    main()

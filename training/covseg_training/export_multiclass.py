"""Export a multi-class model: a shipped binary ONNX file plus a trained consolidation head (consolidation_cli).

    /usr/bin/python3 -m covseg_training.export_multiclass --base runs/covseg-1.2.0.onnx \\
        --head runs/consolidation/head.pt --cv-summary runs/consolidation/cv-summary.json \\
        --out ../models/covseg-unet.onnx --version 1.3.0

The binary graph is **copied node for node** (never re-exported from PyTorch), so the output `prob` is the
binary model's, bit for bit. The head is exported from PyTorch on its own (`HeadTTA`: the frozen network's
features of the input and of its mirror -> the flip-TTA consolidation probability) and grafted onto the
tensors it reads in the binary graph: the inputs of the two copies of the binary head's 1x1 convolution
(the plain and the mirrored pass of the flip TTA), the graph input and its mirrored copy. The new output is
`consolidation` (float32 N x 1 x S x S). Metadata: every key of the binary model, then `covseg.version`,
`covseg.classes` = `ggo,consolidation`, `covseg.consolidation_threshold`, the per-class CV in
`covseg.cv_metrics` and the head's data in `covseg.training_data` (the multi-class contract).
"""
from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

import onnx
import torch

from .consolidation import ConsolidationHead, HeadTTA, MultiClassNet
from .export_onnx import OPSET, ExportError, _number, read_metadata, write_parity_sample
from .from_onnx import unet_from_onnx
from .parity import check_parity

OUTPUT_NAME = "consolidation"
HEAD_PREFIX = "consolidation_head/"
HEAD_TRAINING_DATA = (
    " | Consolidation head (1.3.0, multi-class): trained on the same 50 doctor slices' ground-glass / consolidation "
    "masks (Inf-Net COVID-SemiSeg multi-class labels, DengPingFan/Inf-Net@fb3a03b5; research use only), binary "
    "network frozen"
)


class GraftError(ExportError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def _producers(graph) -> dict[str, onnx.NodeProto]:
    return {out: node for node in graph.node for out in node.output}


def _ancestors(tensor: str, producers: dict) -> set[str]:
    seen, stack = set(), [tensor]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in producers:
            stack.extend(producers[name].input)
    return seen


def find_head_inputs(graph, levels: int = 0) -> dict[str, str]:
    """Names in the binary graph of: the features of the plain and of the mirrored pass (inputs of the two
    copies of the binary head, a 1x1 Conv with one output channel), the input and its mirror, and for a head
    with context the `levels` coarser decoder outputs of each pass (`context_<i>`, `context_mirrored_<i>`,
    coarsest first): the inputs of the pass's last `levels` transposed convolutions (each upsampler reads the
    decoder output before it)."""
    initializers = {i.name: i for i in graph.initializer}
    heads = [n for n in graph.node if n.op_type == "Conv" and n.input[1] in initializers
             and list(initializers[n.input[1]].dims)[0] == 1 and list(initializers[n.input[1]].dims)[2:] == [1, 1]]
    if len(heads) != 2:
        raise GraftError(f"graft the consolidation head: expected the binary head twice (flip TTA), found {len(heads)}")
    input_name = graph.input[0].name
    mirrors = [n for n in graph.node if n.op_type == "Slice" and n.input[0] == input_name]
    if len(mirrors) != 1:
        raise GraftError(f"graft the consolidation head: expected one mirrored copy of the input, found {len(mirrors)}")
    mirrored_input = mirrors[0].output[0]
    producers = _producers(graph)

    def is_mirrored(tensor: str) -> bool:
        return mirrored_input in _ancestors(tensor, producers)

    plain = [h for h in heads if not is_mirrored(h.input[0])]
    mirrored = [h for h in heads if is_mirrored(h.input[0])]
    if len(plain) != 1 or len(mirrored) != 1:
        raise GraftError("graft the consolidation head: cannot tell the plain pass from the mirrored one")
    wiring = {"features": plain[0].input[0], "image": input_name,
              "features_mirrored": mirrored[0].input[0], "image_mirrored": mirrored_input}
    if levels:
        upsamplers = [n for n in graph.node if n.op_type == "ConvTranspose"]  # graph order is topological
        for name, branch in (("context", [n for n in upsamplers if not is_mirrored(n.input[0])]),
                             ("context_mirrored", [n for n in upsamplers if is_mirrored(n.input[0])])):
            if len(branch) < levels + 1:
                raise GraftError(f"graft the consolidation head: {levels} context levels asked, the pass has {len(branch)} upsamplers")
            for i, node in enumerate(branch[len(branch) - levels:]):
                wiring[f"{name}_{i}"] = node.input[0]
    return wiring


def head_graph(head: ConsolidationHead, feature_channels: int, image_channels: int, size: int) -> onnx.ModelProto:
    """The head with its flip TTA as a standalone ONNX graph (inputs named as in find_head_inputs)."""
    module = HeadTTA(head).eval()
    features = torch.zeros(1, feature_channels, size, size)
    image = torch.zeros(1, image_channels, size, size)
    levels = len(head.context_channels)
    context = [torch.zeros(1, c, size >> (levels - i), size >> (levels - i)) for i, c in enumerate(head.context_channels)]
    names = ["features", "image", "features_mirrored", "image_mirrored",
             *[f"context_{i}" for i in range(levels)], *[f"context_mirrored_{i}" for i in range(levels)]]
    buffer = io.BytesIO()
    torch.onnx.export(module, (features, image, features, image, *context, *context), buffer, input_names=names,
                      output_names=[OUTPUT_NAME], dynamic_axes={n: {0: "N"} for n in [*names, OUTPUT_NAME]},
                      opset_version=OPSET, do_constant_folding=True)
    return onnx.load_from_string(buffer.getvalue())


def append_graph(graph, part, prefix: str, rename) -> None:
    """Appends `part`'s initializers and nodes to `graph`: tensors renamed by `rename`, nodes named `prefix` + name."""
    for initializer in part.initializer:
        copy = graph.initializer.add()
        copy.CopyFrom(initializer)
        copy.name = rename(initializer.name)
    for node in part.node:
        copy = graph.node.add()
        copy.CopyFrom(node)
        copy.name = prefix + (node.name or node.op_type)
        copy.input[:] = [rename(n) for n in node.input]
        copy.output[:] = [rename(n) for n in node.output]


def graft(base: onnx.ModelProto, head: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of `base` with `head`'s nodes appended: its inputs wired to the binary graph's tensors, every
    other name of it prefixed, and its output added as a second graph output. Base nodes are untouched."""
    wiring = find_head_inputs(base.graph, sum(1 for i in head.graph.input if i.name.startswith("context_mirrored_")))
    taken = {name for node in base.graph.node for name in [*node.input, *node.output]} | {i.name for i in base.graph.initializer}

    def rename(name: str) -> str:
        if name == "" or name == OUTPUT_NAME:
            return name
        if name in wiring:
            return wiring[name]
        renamed = HEAD_PREFIX + name
        if renamed in taken:
            raise GraftError(f"graft the consolidation head: name {renamed} already in the binary graph")
        return renamed

    merged = onnx.ModelProto()
    merged.CopyFrom(base)
    if OUTPUT_NAME in taken:
        raise GraftError(f"graft the consolidation head: the base model already has a tensor named {OUTPUT_NAME}")
    append_graph(merged.graph, head.graph, HEAD_PREFIX, rename)
    output = merged.graph.output.add()
    output.CopyFrom(head.graph.output[0])
    onnx.checker.check_model(merged)
    return merged


def multiclass_metadata(base: dict[str, str], *, version: str, consolidation_threshold: float,
                        class_metrics: dict, head_description: dict) -> dict[str, str]:
    """The binary model's metadata (every key kept) with the multi-class keys of the contract."""
    if not 0.0 < consolidation_threshold <= 1.0:
        raise GraftError(f"build multi-class metadata: consolidation threshold {consolidation_threshold} is not in (0, 1]")
    cv_metrics = json.loads(base.get("covseg.cv_metrics", "{}"))
    cv_metrics["classes"] = class_metrics
    architecture = json.loads(base.get("covseg.architecture", "{}"))
    architecture["consolidation_head"] = head_description
    return {
        **base,
        "covseg.version": version,
        "covseg.classes": "ggo,consolidation",
        "covseg.consolidation_threshold": _number(consolidation_threshold),
        "covseg.cv_metrics": json.dumps(cv_metrics, sort_keys=True),
        "covseg.architecture": json.dumps(architecture, sort_keys=True),
        "covseg.training_data": base.get("covseg.training_data", "") + HEAD_TRAINING_DATA,
    }


def class_metrics_from_cv(summary: dict) -> dict:
    """The figures of consolidation_cli's cv-summary.json that go into covseg.cv_metrics."""
    s = summary["summary"]
    figures = {c: {m: s[f"{c}_{m}"]["mean"] for m in ("dice", "precision", "recall")} | {
        "dice_sd_images": s[f"{c}_dice"]["sd_images"], "dice_fold_means": s[f"{c}_dice"]["fold_means"]}
        for c in ("ggo", "consolidation", "union")}
    return {
        **figures,
        "cross_validated": "consolidation head only",
        "protocol": f"nested {summary['protocol']['folds']}-fold slice-level CV of the head on the "
                    f"{summary['slices']} doctor slices; consolidation threshold chosen by an inner "
                    f"{summary['protocol']['inner_folds']}-fold CV inside each training fold",
        "binary_network_saw_every_slice": True,
        "consolidation_thresholds_chosen": summary["thresholds_chosen"],
        "all_ggo_baseline": {c: summary["all_ggo_baseline"][f"{c}_dice"]["mean"] for c in ("ggo", "consolidation")},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="the binary ONNX model (its network was frozen)")
    parser.add_argument("--head", type=Path, required=True, help="head.pt of consolidation_cli")
    parser.add_argument("--cv-summary", type=Path, required=True, help="cv-summary.json of consolidation_cli")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args(argv)

    checkpoint = torch.load(str(args.head), map_location="cpu")
    net, base_metadata = unet_from_onnx(args.base)
    description = checkpoint["head"]
    head = ConsolidationHead.from_description(description)
    head.load_state_dict(checkpoint["state_dict"])
    head.eval()
    summary = json.loads(args.cv_summary.read_text(encoding="utf-8"))
    base = onnx.load(str(args.base))
    merged = graft(base, head_graph(head, description["feature_channels"], description["image_channels"],
                                    net.config.input_size))
    metadata = multiclass_metadata(read_metadata(args.base), version=args.version,
                                   consolidation_threshold=float(checkpoint["consolidation_threshold"]),
                                   class_metrics=class_metrics_from_cv(summary), head_description=description)
    del merged.metadata_props[:]
    for key, value in metadata.items():
        entry = merged.metadata_props.add()
        entry.key, entry.value = key, value
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(merged, str(args.out))
    with tempfile.TemporaryDirectory() as tmp:
        report = check_parity(args.out, write_parity_sample(MultiClassNet(net, head), Path(tmp), output_names=("prob", OUTPUT_NAME)))
    print(json.dumps({"exported": str(args.out), "parity": report}))


if __name__ == "__main__":
    main()

"""Command line: export a checkpoint (or an untrained network) to ONNX and check it against ONNX Runtime.

    /usr/bin/python3 -m covseg_training.export_cli --checkpoint runs/final/epoch-50.pt --out ../models/covseg-unet.onnx \
        --cv-summary runs/cv/cv-summary.json --threshold 0.5
    /usr/bin/python3 -m covseg_training.export_cli --untrained --base-width 16 --input-size 256 --out ...
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from .cv_summary import cv_metrics_for_metadata
from .export_onnx import build_metadata, export_onnx, load_checkpoint, write_parity_sample
from .parity import check_parity
from .tta import TTA_CHOICES, with_tta
from .unet import UNet, UNetConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", type=Path, help="best.pt written by train_cli")
    source.add_argument("--untrained", action="store_true", help="export random weights, marked untrained")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--input-size", type=int, default=160)
    parser.add_argument("--input-channels", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--cv-summary", type=Path, help="cv-summary.json; its figures go into covseg.cv_metrics")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tta", choices=TTA_CHOICES, default="none",
                        help="bake test-time augmentation into the graph (hflip: mean with the mirrored prediction)")
    parser.add_argument("--min-component-ml", type=float, default=0.0,
                        help="volume path: drop 3-D infection components below this volume (mL); 0 = off")
    parser.add_argument("--metrics-json", help="covseg.cv_metrics as a JSON object, for a model without a CV summary")
    parser.add_argument("--training-data", help="provenance text for covseg.training_data (default: the 50 doctor slices)")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    if args.untrained:
        model = UNet(UNetConfig(args.base_width, args.depth, args.input_channels, args.input_size))
    else:
        model = load_checkpoint(args.checkpoint)
    model = with_tta(model, args.tta)
    cv_metrics = {}
    if args.cv_summary:
        cv_metrics = cv_metrics_for_metadata(json.loads(args.cv_summary.read_text(encoding="utf-8")))
        # The CV figures were measured at the CV threshold; say which threshold the model ships with.
        cv_metrics["decision_threshold"] = args.threshold
        cv_metrics["tta"] = args.tta
        cv_metrics["min_component_ml"] = args.min_component_ml
    if args.metrics_json:
        cv_metrics = {**json.loads(args.metrics_json), "decision_threshold": args.threshold, "tta": args.tta,
                      "min_component_ml": args.min_component_ml}
    metadata = build_metadata(
        model.config, trained=not args.untrained, threshold=args.threshold, cv_metrics=cv_metrics, version=args.version,
        tta=args.tta, min_component_ml=args.min_component_ml,
        **({"training_data": args.training_data} if args.training_data else {}),
    )
    export_onnx(model, args.out, metadata)
    with tempfile.TemporaryDirectory() as tmp:
        report = check_parity(args.out, write_parity_sample(model, Path(tmp)))
    print(json.dumps({"exported": str(args.out), "parity": report}))


if __name__ == "__main__":
    main()

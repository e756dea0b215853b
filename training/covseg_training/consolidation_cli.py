"""Command line: train the consolidation head of a multi-class model on a frozen binary model, with nested CV.

    /usr/bin/python3 -m covseg_training.consolidation_cli --onnx /tmp/covseg-1.2.0.onnx \\
        --images $D/train/images --masks $D/train-multiclass/masks --out runs/consolidation --threads 1

Writes to --out: `cv-summary.json` (nested 5-fold CV per class, thresholds chosen in inner folds, Dice by
threshold for the record), `cv-per-image.csv`, `oof-consolidation.npz` (each slice's out-of-fold consolidation
map at native size, float16) and `head.pt` (the head trained on every slice, with the consolidation threshold
chosen on all out-of-fold predictions): the input of export_multiclass.
The binary network comes from the ONNX file (from_onnx.py) and is never trained.
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .consolidation import HeadTrainConfig, build_feature_cache, train_head
from .consolidation_cv import nested_cv
from .from_onnx import unet_from_onnx
from .multiclass_data import load_labelled_slices


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True, help="the binary model whose network stays frozen")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--masks", type=Path, required=True, help="palette PNGs: 0 background, 1 GGO, 2 consolidation")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--augmented-views", type=int, default=6, help="augmented views per slice besides plain + mirror")
    parser.add_argument("--steps", type=int, default=HeadTrainConfig.steps)
    parser.add_argument("--batch", type=int, default=HeadTrainConfig.batch)
    parser.add_argument("--crop", type=int, default=HeadTrainConfig.crop)
    parser.add_argument("--hidden", type=int, default=HeadTrainConfig.hidden)
    parser.add_argument("--learning-rate", type=float, default=HeadTrainConfig.learning_rate)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the head trains there; the cache stays on the CPU)")
    parser.add_argument("--skip-cv", action="store_true", help="train the final head only (threshold then from --consolidation-threshold)")
    parser.add_argument("--consolidation-threshold", type=float, default=0.5)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    net, metadata = unet_from_onnx(args.onnx)
    threshold = float(metadata["covseg.threshold"])
    slices = load_labelled_slices(args.images, args.masks)
    started = time.monotonic()
    cache = build_feature_cache(net, slices, args.augmented_views, args.seed)
    print(f"features of {len(slices)} slices x {cache.train_inputs.shape[1]} views in {time.monotonic() - started:.0f} s", flush=True)
    config = HeadTrainConfig(args.hidden, args.steps, args.batch, args.crop, args.learning_rate, args.seed)

    consolidation_threshold = args.consolidation_threshold
    summary = None
    if not args.skip_cv:
        started = time.monotonic()
        result = nested_cv(cache, slices, config, threshold, args.folds, args.inner_folds, args.seed,
                           log=lambda line: print(line, flush=True))
        np.savez_compressed(args.out / "oof-consolidation.npz", **{k: v.astype(np.float16) for k, v in result.pop("maps").items()})
        rows = result.pop("per_image")
        with (args.out / "cv-per-image.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        summary = {**result, "origin": str(args.onnx), "origin_version": metadata.get("covseg.version"),
                   "slices": len(slices), "augmented_views": args.augmented_views,
                   "seconds": round(time.monotonic() - started)}
        (args.out / "cv-summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
        consolidation_threshold = result["final_threshold"]
        print(json.dumps({"thresholds_chosen": result["thresholds_chosen"], "final_threshold": consolidation_threshold,
                          **{k: v["mean"] for k, v in result["summary"].items() if k.endswith("_dice")}}), flush=True)

    head = train_head(cache, list(range(len(slices))), config, args.device)
    torch.save({"head": head.describe(), "state_dict": head.state_dict(), "consolidation_threshold": consolidation_threshold,
                "threshold": threshold, "origin": str(args.onnx), "origin_version": metadata.get("covseg.version"),
                "train_config": asdict(config), "augmented_views": args.augmented_views,
                "cv_summary": None if summary is None else summary["summary"]}, args.out / "head.pt")
    print(json.dumps({"head": str(args.out / "head.pt"), "consolidation_threshold": consolidation_threshold}), flush=True)


if __name__ == "__main__":
    main()

"""Command line: train the consolidation head of a multi-class model on a frozen binary model, with nested CV.

    /usr/bin/python3 -m covseg_training.consolidation_cli --onnx /tmp/covseg-1.2.0.onnx \\
        --images $D/train/images --masks $D/train-multiclass/masks --out runs/consolidation --threads 1

Writes to --out: `cv-summary.json` (nested 5-fold CV per class, thresholds chosen in inner folds, Dice by
threshold for the record), `cv-per-image.csv`, `oof-consolidation.npz` (each slice's out-of-fold consolidation
map at native size, float16) and `head.pt` (the head trained on every slice, with the consolidation threshold
chosen on all out-of-fold predictions): the input of export_multiclass.
The binary network comes from the ONNX file (from_onnx.py) and is never trained.

On a shared machine run the folds as separate processes on one saved feature cache, then gather them:

    ... --cache runs/consolidation/cache.pt --final-head-only      # builds and saves the cache first
    for k in 0 1 2 3 4; do ... --cache runs/consolidation/cache.pt --only-fold $k & done; wait
    ... --cache runs/consolidation/cache.pt --gather
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
from .consolidation_cv import cv_fold, gather, nested_cv
from .from_onnx import unet_from_onnx
from .multiclass_data import load_labelled_slices


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True, help="the binary model whose network stays frozen")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--masks", type=Path, required=True, help="palette PNGs: 0 background, 1 GGO, 2 consolidation")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--augmented-views", type=int, default=6, help="augmented views per slice besides plain + mirror")
    parser.add_argument("--context-levels", type=int, default=0, help="coarser decoder outputs the head also reads (0-3)")
    parser.add_argument("--context-width", type=int, default=HeadTrainConfig.context_width)
    parser.add_argument("--dilation", type=int, default=HeadTrainConfig.dilation, help="dilation of the head's second 3x3")
    parser.add_argument("--steps", type=int, default=HeadTrainConfig.steps)
    parser.add_argument("--batch", type=int, default=HeadTrainConfig.batch)
    parser.add_argument("--crop", type=int, default=HeadTrainConfig.crop)
    parser.add_argument("--hidden", type=int, default=HeadTrainConfig.hidden)
    parser.add_argument("--learning-rate", type=float, default=HeadTrainConfig.learning_rate)
    parser.add_argument("--loss-on", choices=["all", "infection"], default=HeadTrainConfig.loss_on,
                        help="pixels the head's loss covers: every pixel (1.3.0) or the doctors' infection only")
    parser.add_argument("--image-pools", default="", help="comma-separated odd box sizes of local image means the head reads, e.g. 5,9,17")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the head trains there; the cache stays on the CPU)")
    parser.add_argument("--cache", type=Path, help="feature cache file: loaded when it exists, else built and saved")
    split = parser.add_mutually_exclusive_group()
    split.add_argument("--only-fold", type=int, help="run one outer fold into OUT/fold-K.pt (one process per fold)")
    split.add_argument("--final-head-only", action="store_true", help="train the head on every slice into OUT/final-head.pt")
    split.add_argument("--gather", action="store_true", help="summarise OUT/fold-*.pt (+ OUT/final-head.pt) as a full run does")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    net, metadata = unet_from_onnx(args.onnx)
    threshold = float(metadata["covseg.threshold"])
    slices = load_labelled_slices(args.images, args.masks)
    started = time.monotonic()
    if args.cache and args.cache.exists():
        cache = torch.load(str(args.cache))
    else:
        cache = build_feature_cache(net, slices, args.augmented_views, args.seed, levels=args.context_levels)
        if args.cache:
            torch.save(cache, str(args.cache))
    if cache.names != [s.name for s in slices] or len(cache.train_context) != args.context_levels:
        raise SystemExit(f"feature cache {args.cache} does not hold these slices with {args.context_levels} context levels")
    print(f"features of {len(slices)} slices x {cache.train_inputs.shape[1]} views in {time.monotonic() - started:.0f} s", flush=True)
    config = HeadTrainConfig(args.hidden, args.steps, args.batch, args.crop, args.learning_rate, args.seed,
                             args.context_width, args.dilation, args.loss_on,
                             tuple(int(k) for k in args.image_pools.split(",") if k.strip()))

    if args.only_fold is not None:
        result = cv_fold(cache, slices, config, threshold, args.only_fold, args.folds, args.inner_folds, args.seed)
        torch.save(result, args.out / f"fold-{args.only_fold}.pt")
        print(json.dumps({"fold": args.only_fold, "threshold": result["threshold"], "seconds": round(time.monotonic() - started)}), flush=True)
        return
    if args.final_head_only:
        head = train_head(cache, list(range(len(slices))), config, args.device)
        torch.save({"head": head.describe(), "state_dict": head.state_dict()}, args.out / "final-head.pt")
        return
    started = time.monotonic()
    if args.gather:
        results = [torch.load(str(args.out / f"fold-{k}.pt")) for k in range(args.folds)]
        result = gather(cache, slices, config, threshold, results, args.folds, args.inner_folds, args.seed)
    else:
        result = nested_cv(cache, slices, config, threshold, args.folds, args.inner_folds, args.seed,
                           log=lambda line: print(line, flush=True))
    np.savez_compressed(args.out / "oof-consolidation.npz", **{k: v.astype(np.float16) for k, v in result.pop("maps").items()})
    rows = result.pop("per_image")
    with (args.out / "cv-per-image.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = {**result, "origin": str(args.onnx), "origin_version": metadata.get("covseg.version"),
               "slices": len(slices), "augmented_views": args.augmented_views, "context_levels": args.context_levels,
               "seconds": round(time.monotonic() - started)}
    (args.out / "cv-summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    consolidation_threshold = result["final_threshold"]
    print(json.dumps({"thresholds_chosen": result["thresholds_chosen"], "final_threshold": consolidation_threshold,
                      **{k: v["mean"] for k, v in result["summary"].items() if k.endswith("_dice")}}), flush=True)

    if args.gather and (args.out / "final-head.pt").exists():
        final = torch.load(str(args.out / "final-head.pt"))
        description, state = final["head"], final["state_dict"]
    else:
        head = train_head(cache, list(range(len(slices))), config, args.device)
        description, state = head.describe(), head.state_dict()
    torch.save({"head": description, "state_dict": state, "consolidation_threshold": consolidation_threshold,
                "threshold": threshold, "origin": str(args.onnx), "origin_version": metadata.get("covseg.version"),
                "train_config": asdict(config), "augmented_views": args.augmented_views,
                "cv_summary": summary["summary"]}, args.out / "head.pt")
    print(json.dumps({"head": str(args.out / "head.pt"), "consolidation_threshold": consolidation_threshold}), flush=True)


if __name__ == "__main__":
    main()

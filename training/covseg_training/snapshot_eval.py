"""Command line: score checkpoints on the sets of issue 12, by threshold, in one pass per set.

    /usr/bin/python3 -m covseg_training.snapshot_eval --checkpoint runs/warm/epoch-10.pt [--onnx-origin M.onnx] \\
        --tta hflip --doctor DOCTOR --pseudo PSEUDO --pseudo-val-volumes 4 --negatives NEG/heldback

Per checkpoint and threshold: mean Dice on the doctor slices (an external test only for a model that never
saw them), mean Dice against the (noisy) pseudo-labels of the held-out pseudo patients (agreement, not
accuracy), and the share of the pixels of the empty-mask negatives flagged as infection (the framed crop,
not the lung: a proxy of the false-positive rate the server reports, which `bench/false-positive-check.ts`
measures). `--onnx-origin` scores a shipped ONNX file's network (rebuilt by from_onnx.py) as the baseline.

`--pick-threshold-on heldout_pseudo_dice` adds `picked`: the threshold best on that set alone (ties to the one
nearest 0.5) and every set's figure at it, so no reported set but that one has a say in the threshold; with
`--per-image`, also the per-image Dice of the Dice sets at the picked threshold (for paired comparisons).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .cv_summary import SWEEP
from .dataset import load_slices, volume_split
from .export_onnx import load_checkpoint
from .from_onnx import unet_from_onnx
from .metrics import overlap_metrics
from .train import predict_native
from .tta import TTA_CHOICES, with_tta


def _dice_per_image(probabilities: dict, slices, t: float) -> list[float]:
    return [overlap_metrics(probabilities[s.name] >= t, s.mask)["dice"] for s in slices]


def score(model, sets: dict, thresholds: list[float], pick_on: str | None = None, per_image: bool = False) -> dict:
    out, maps = {}, {}
    for name, (slices, kind) in sets.items():
        probabilities = maps[name] = predict_native(model, slices)
        row = {}
        for t in thresholds:
            if kind == "dice":
                row[str(t)] = round(float(np.mean(_dice_per_image(probabilities, slices, t))), 4)
            else:
                flagged = sum(int(np.count_nonzero(probabilities[s.name] >= t)) for s in slices)
                row[str(t)] = round(100.0 * flagged / sum(s.image.size for s in slices), 3)
        out[name] = row
    if pick_on is not None:
        if pick_on not in out or sets[pick_on][1] != "dice":
            raise SystemExit(f"snapshot_eval: cannot pick a threshold on {pick_on!r}: the Dice sets are "
                             f"{[n for n, (_, kind) in sets.items() if kind == 'dice']}")
        best = max(thresholds, key=lambda t: (out[pick_on][str(t)], -abs(t - 0.5)))
        picked = {"on": pick_on, "threshold": best, **{name: row[str(best)] for name, row in out.items()}}
        if per_image:
            picked["per_image"] = {name: {s.name: round(d, 4) for s, d in zip(slices, _dice_per_image(maps[name], slices, best))}
                                   for name, (slices, kind) in sets.items() if kind == "dice" and name != pick_on}
        out["picked"] = picked
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, nargs="*", default=[])
    parser.add_argument("--onnx-origin", type=Path, nargs="*", default=[])
    parser.add_argument("--tta", choices=TTA_CHOICES, default="hflip")
    parser.add_argument("--doctor", type=Path)
    parser.add_argument("--pseudo", type=Path)
    parser.add_argument("--pseudo-val-volumes", type=int, default=4)
    parser.add_argument("--pseudo-every", type=int, default=2)
    parser.add_argument("--negatives", type=Path, nargs="*", default=[])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--thresholds", type=float, nargs="*", default=[t for t in SWEEP if 0.4 <= t <= 0.8])
    parser.add_argument("--pick-threshold-on", help="a Dice set (e.g. heldout_pseudo_dice) that alone picks the threshold")
    parser.add_argument("--per-image", action="store_true", help="with --pick-threshold-on: per-image Dice at the pick")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    sets = {}
    if args.doctor:
        sets["doctor_dice"] = (load_slices(args.doctor), "dice")
    if args.pseudo:
        _, held = volume_split(load_slices(args.pseudo), args.pseudo_val_volumes, args.seed)
        sets["heldout_pseudo_dice"] = (held[:: args.pseudo_every], "dice")
    for folder in args.negatives:
        sets[f"negatives_percent_flagged:{folder.name}"] = (load_slices(folder), "fp")
    models = [(str(p), load_checkpoint(p)) for p in args.checkpoint]
    models += [(str(p), unet_from_onnx(p)[0]) for p in args.onnx_origin]
    for name, net in models:
        print(json.dumps({"model": name, "tta": args.tta, **score(with_tta(net, args.tta), sets, args.thresholds,
                                                                       args.pick_threshold_on, args.per_image)}), flush=True)


if __name__ == "__main__":
    main()

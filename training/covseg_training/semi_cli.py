"""Command line: semi-supervised training with hard negatives (issue 12), in two steps.

1. `pretrain`: from random weights on the pseudo-labelled slices (`covid-infection/pseudo`, masks > 127),
   split BY VOLUME (`--val-volumes` whole volumes held out for validation), plus hard negatives (non-COVID
   slices framed as the server frames them, empty masks; `training/hard_negatives.ts` writes them). Each
   epoch draws `--pseudo-per-epoch` pseudo and `--negatives-per-epoch` negative slices afresh. Never sees
   the doctor-labelled slices, so those are an external test of the pretrained model (`--external`).

       nice -n 19 /usr/bin/python3 -m covseg_training.semi_cli pretrain --data PSEUDO --negatives NEG/train \\
           --val-negatives NEG/val --out runs/pre --epochs 10 --threads 1 --input-size 160 --loss bce_dice

2. `finetune`: k-fold CV on the doctor slices (`--only-fold k`, the cv_cli layout, so
   `cv_cli --summarise --out OUT` gathers it), each fold starting from the pretrained weights, with
   negatives and pseudo slices mixed into every epoch so the fine-tune does not unlearn them; `--final`
   trains on all doctor slices (no validation) for the shipped model.

       nice -n 19 /usr/bin/python3 -m covseg_training.semi_cli finetune --data DOCTOR --init runs/pre/last.pt \\
           --negatives NEG/train --pseudo PSEUDO --out runs/ft --only-fold 0 --epochs 12 --threads 1

`touch OUT/STOP` ends a run after its current epoch.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from .cv_cli import add_model_arguments, configs
from .dataset import Slice, k_fold_indices, load_slices, patient_of, volume_of, volume_split
from .metrics import mean_metrics, overlap_metrics
from .train import StartPoint, TrainConfig, predict_native, start_point, train
from .unet import UNetConfig


def _with_pools(config: TrainConfig, *samples: int) -> TrainConfig:
    return TrainConfig(**{**config.__dict__, "pool_samples": tuple(samples)})


def _drawn(pool_size: int, want: int) -> int:
    """Slices an epoch draws from a pool (train.epoch_order: all of it when 0 or more than it holds)."""
    return pool_size if want <= 0 or want >= pool_size else want


def external_test(model, slices: list[Slice], threshold: float) -> dict:
    """Mean per-image metrics of `model` on slices it never saw (serving-path resize there and back)."""
    probabilities = predict_native(model, slices)
    rows = [overlap_metrics(probabilities[s.name] >= threshold, s.mask) for s in slices]
    return {"images": len(slices), "threshold": threshold, **{k: round(v, 4) for k, v in mean_metrics(rows).items()}}


def negative_fraction(model, slices: list[Slice], threshold: float) -> float:
    """Share of the pixels of empty-mask slices the model calls infection (false positives per pixel)."""
    probabilities = predict_native(model, slices)
    flagged = sum(int(np.count_nonzero(probabilities[s.name] >= threshold)) for s in slices)
    return flagged / max(1, sum(s.image.size for s in slices))


def pretrain(args: argparse.Namespace) -> dict:
    model_config, train_config = configs(args)
    pseudo = load_slices(args.data)
    train_pseudo, val_pseudo = volume_split(pseudo, args.val_volumes, args.seed)
    negatives = load_slices(args.negatives) if args.negatives and args.negatives_per_epoch > 0 else []
    val_negatives = load_slices(args.val_negatives) if args.val_negatives else []
    val = val_pseudo[:: args.val_every] + val_negatives[:: args.val_every]
    args.out.mkdir(parents=True, exist_ok=True)
    split = {"train_volumes": sorted({volume_of(s.name) for s in train_pseudo}),
             "val_volumes": sorted({volume_of(s.name) for s in val_pseudo}),
             "val_patients": sorted({patient_of(s.name) for s in val_pseudo}),
             "train_pseudo_slices": len(train_pseudo), "val_pseudo_slices": len(val_pseudo),
             "train_negatives": len(negatives), "val_negatives": len(val_negatives), "val_slices_scored": len(val)}
    (args.out / "split.json").write_text(json.dumps(split, indent=2), encoding="utf-8")
    started = time.time()
    result = train(model_config, [], val, _with_pools(train_config, args.pseudo_per_epoch, args.negatives_per_epoch),
                   args.out, "pretrain", snapshot_every=args.snapshot_every, stop_file=args.out / "STOP",
                   start=start_point(args.continue_from) if args.continue_from else None,
                   pools=[train_pseudo, negatives])
    report = {"split": split, "epochs": len(result.history), "train_seconds": round(time.time() - started, 1),
              # CPU of the training passes alone (all threads; validation left out), the cost to compare runs by.
              "train_cpu_seconds": round(sum(row["cpu_seconds"] for row in result.history), 1),
              "samples": len(result.history) * sum(_drawn(len(pool), want) for pool, want in
                                                   ((train_pseudo, args.pseudo_per_epoch), (negatives, args.negatives_per_epoch))),
              "parameters": sum(p.numel() for p in result.model.parameters()),
              "model": model_config.__dict__, "lr_schedule": train_config.lr_schedule,
              "last": result.history[-1]}
    (args.out / "pretrain-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def finetune(args: argparse.Namespace) -> dict:
    model_config, train_config = configs(args)
    checkpoint = torch.load(str(args.init), map_location="cpu")
    if UNetConfig(**checkpoint["config"]) != model_config:
        raise SystemExit(f"fine-tune: {args.init} has shape {checkpoint['config']}, not the requested {model_config}")
    doctor = load_slices(args.data)
    # A pool asked for 0 slices per epoch is left out (train() reads 0 as "the whole pool").
    negatives = load_slices(args.negatives) if args.negatives and args.negatives_per_epoch > 0 else []
    pseudo = load_slices(args.pseudo) if args.pseudo and args.pseudo_per_epoch > 0 else []
    if pseudo and args.pseudo_val_volumes:
        # The same volumes pretrain held out (same seed) stay unseen, so they remain a fair comparison.
        pseudo, _ = volume_split(pseudo, args.pseudo_val_volumes, args.seed)
    config = _with_pools(train_config, args.negatives_per_epoch, args.pseudo_per_epoch)
    config = TrainConfig(**{**config.__dict__, "freeze_batchnorm": args.freeze_batchnorm})
    begin = StartPoint(checkpoint["state_dict"], 0, args.learning_rate)
    reports = []
    if args.final:
        out = args.out
        started = time.time()
        result = train(model_config, doctor, [], config, out, "final", snapshot_every=args.snapshot_every,
                       stop_file=out / "STOP", start=begin, pools=[negatives, pseudo])
        reports.append({"final": True, "seconds": round(time.time() - started, 1), "last": result.history[-1]})
    else:
        splits = k_fold_indices(len(doctor), args.folds, args.seed)
        for fold in range(args.folds) if args.only_fold is None else [args.only_fold]:
            train_idx, val_idx = splits[fold]
            out = args.out / f"fold-{fold}"
            started = time.time()
            result = train(model_config, [doctor[i] for i in train_idx], [doctor[i] for i in val_idx], config, out,
                           f"fold {fold}", snapshot_every=args.snapshot_every, stop_file=args.out / "STOP",
                           start=begin, pools=[negatives, pseudo])
            np.savez_compressed(out / "val-probabilities.npz", **result.val_probabilities)
            reports.append({"fold": fold, "seconds": round(time.time() - started, 1), "last": result.history[-1]})
    for report in reports:
        print(json.dumps(report))
    return {"runs": reports}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = parser.add_subparsers(dest="step", required=True)
    pre = steps.add_parser("pretrain", help="pseudo-labels (split by volume) + hard negatives, from scratch")
    add_model_arguments(pre)
    pre.add_argument("--negatives", type=Path, help="hard negatives for training (images/ + empty masks/)")
    pre.add_argument("--val-negatives", type=Path, help="hard negatives of other patients, for validation")
    pre.add_argument("--val-volumes", type=int, default=4, help="pseudo-labelled volumes held out for validation")
    pre.add_argument("--val-every", type=int, default=3, help="score every n-th validation slice (CPU budget)")
    pre.add_argument("--pseudo-per-epoch", type=int, default=300)
    pre.add_argument("--negatives-per-epoch", type=int, default=100)
    pre.add_argument("--snapshot-every", type=int, default=1)
    ft = steps.add_parser("finetune", help="k-fold CV (or --final) on the doctor slices from pretrained weights")
    add_model_arguments(ft)
    ft.add_argument("--init", type=Path, required=True, help="pretrained checkpoint (.pt)")
    ft.add_argument("--negatives", type=Path)
    ft.add_argument("--pseudo", type=Path)
    ft.add_argument("--negatives-per-epoch", type=int, default=24)
    ft.add_argument("--pseudo-per-epoch", type=int, default=16)
    ft.add_argument("--pseudo-val-volumes", type=int, default=0,
                    help="leave out the pseudo volumes pretrain held out with this --val-volumes (same --seed)")
    ft.add_argument("--freeze-batchnorm", action="store_true",
                    help="BatchNorm statistics fixed (needed when --init came from from_onnx.py)")
    ft.add_argument("--folds", type=int, default=5)
    ft.add_argument("--snapshot-every", type=int, default=0)
    mode = ft.add_mutually_exclusive_group()
    mode.add_argument("--only-fold", type=int)
    mode.add_argument("--final", action="store_true", help="train on every doctor slice, no validation")
    args = parser.parse_args(argv)
    if args.step == "pretrain":
        print(json.dumps(pretrain(args)))
    else:
        finetune(args)


if __name__ == "__main__":
    main()

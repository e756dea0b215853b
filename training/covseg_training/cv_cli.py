"""Command line: k-fold cross-validation on an images/ + masks/ dataset.

    nice -n 5 /usr/bin/python3 -m covseg_training.cv_cli --data ../../shared/data/covid-infection/train \
        --out runs/cv --folds 5 --epochs 60 --loss bce_dice

Writes per fold `fold-<k>/history.csv` and checkpoints, `oof-probabilities.npz` (last-epoch validation
probabilities at native size, every slice exactly once), `cv-summary.json` and `cv-curves.png`.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .cv_summary import summarise
from .dataset import k_fold_indices, load_slices
from .plots import plot_histories
from .train import TrainConfig, train
from .unet import UNetConfig


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="folder with images/ and masks/")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--loss", choices=["dice", "bce_dice"], default="dice")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--base-width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--input-size", type=int, default=256)
    parser.add_argument("--input-channels", type=int, default=1)


def configs(args: argparse.Namespace) -> tuple[UNetConfig, TrainConfig]:
    model = UNetConfig(args.base_width, args.depth, args.input_channels, args.input_size)
    model.validate()
    training = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, loss=args.loss,
        threshold=args.threshold, seed=args.seed, threads=args.threads,
    )
    training.validate()
    return model, training


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    model_config, train_config = configs(args)
    slices = load_slices(args.data)
    started = time.time()
    histories, fold_of, probabilities = {}, {}, {}
    for fold, (train_idx, val_idx) in enumerate(k_fold_indices(len(slices), args.folds, args.seed)):
        result = train(
            model_config, [slices[i] for i in train_idx], [slices[i] for i in val_idx], train_config,
            args.out / f"fold-{fold}", description=f"fold {fold}",
        )
        histories[f"fold {fold}"] = result.history
        probabilities.update(result.val_probabilities)
        fold_of.update({slices[i].name: fold for i in val_idx})
        np.savez_compressed(args.out / "oof-probabilities.npz", **probabilities)
    summary = summarise(slices, probabilities, fold_of, histories, args.threshold)
    summary["seconds"] = round(time.time() - started, 1)
    summary["model"] = vars(model_config)
    summary["training"] = {k: v for k, v in vars(args).items() if k not in ("data", "out")}
    (args.out / "cv-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    plot_histories(histories, args.out / "cv-curves.png", f"{args.folds}-fold cross-validation")
    print(json.dumps(summary["headline"], indent=2))


if __name__ == "__main__":
    main()

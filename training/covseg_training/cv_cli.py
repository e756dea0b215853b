"""Command line: k-fold cross-validation on an images/ + masks/ dataset.

    # all folds in one process:
    nice -n 5 /usr/bin/python3 -m covseg_training.cv_cli --data DATA --out runs/cv --folds 5 --epochs 50
    # or one process per fold (1 thread each: on a busy 2-core machine OpenMP threads spin and waste CPU),
    # then gather:
    nice -n 5 /usr/bin/python3 -m covseg_training.cv_cli --data DATA --out runs/cv --only-fold 3 --threads 1
    /usr/bin/python3 -m covseg_training.cv_cli --data DATA --out runs/cv --summarise

Creating `<out>/STOP` ends every fold after its current epoch (to meet a CPU budget). Writes per fold `fold-<k>/history.csv`, checkpoints and `fold-<k>/val-probabilities.npz` (last-epoch
validation probabilities at native size, float16), then `cv-summary.json` and `cv-curves.png`.
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from .cv_summary import summarise
from .dataset import k_fold_indices, load_slices
from .export_onnx import load_checkpoint
from .plots import plot_histories
from .train import LR_SCHEDULES, TrainConfig, TrainingError, predict_native, start_point, train
from .tta import TTA_CHOICES, with_tta
from .unet import UNetConfig


class MissingFoldError(TrainingError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="folder with images/ and masks/")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default="plateau",
                        help="plateau: ReduceLROnPlateau (the shipped models); cosine: fixed, from --learning-rate down over --epochs")
    parser.add_argument("--loss", choices=["dice", "bce_dice"], default="dice")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--base-width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--input-size", type=int, default=160)
    parser.add_argument("--input-channels", type=int, default=1)
    parser.add_argument("--continue-from", type=Path, help="a finished run (CV: its fold-<k> folders) to continue")


def configs(args: argparse.Namespace) -> tuple[UNetConfig, TrainConfig]:
    model = UNetConfig(args.base_width, args.depth, args.input_channels, args.input_size)
    model.validate()
    training = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, loss=args.loss,
        threshold=args.threshold, seed=args.seed, threads=args.threads, lr_schedule=args.lr_schedule,
    )
    training.validate()
    return model, training


def fold_list(value: str) -> list[int]:
    """A comma-separated list of folds on the command line, e.g. 0,1,2."""
    return [int(k) for k in value.split(",")]


def read_history(path: Path) -> list[dict[str, float]]:
    with open(path, encoding="utf-8") as handle:
        # A run without validation leaves the val_* cells empty.
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]


def _recomputed(folder: Path, at_epoch: int | None, val_slices, tta: str) -> dict[str, np.ndarray]:
    """Validation maps predicted again from the fold's checkpoint of the same epoch (last.pt or epoch-<E>.pt),
    with test-time augmentation `tta`, stored as float16 like the maps saved by training."""
    checkpoint = folder / ("last.pt" if at_epoch is None else f"epoch-{at_epoch}.pt")
    if not checkpoint.is_file():
        raise MissingFoldError(f"summarise cross-validation with --tta: no {checkpoint.name} in {folder}")
    model = with_tta(load_checkpoint(checkpoint), tta)
    return {k: v.astype(np.float16) for k, v in predict_native(model, val_slices).items()}


def gather(args: argparse.Namespace, slices) -> dict:
    """Builds cv-summary.json and cv-curves.png from the fold folders.

    Without --tta the validation maps saved by training are used; with --tta (none or hflip) they are
    predicted again from each fold's checkpoint of the same epoch, and the files get a `-tta-<tta>` suffix.
    """
    histories, fold_of, probabilities = {}, {}, {}
    wanted = args.summarise_folds or list(range(args.folds))
    for fold, (_, val_idx) in enumerate(k_fold_indices(len(slices), args.folds, args.seed)):
        if fold not in wanted:
            continue
        folder = args.out / f"fold-{fold}"
        maps = folder / ("val-probabilities.npz" if args.at_epoch is None else f"val-probabilities-epoch-{args.at_epoch}.npz")
        if args.tta is None and not maps.is_file():
            raise MissingFoldError(f"summarise cross-validation: fold {fold} has no {maps.name} in {folder}")
        history = read_history(folder / "history.csv")
        if args.at_epoch is not None:
            history = [row for row in history if row["epoch"] <= args.at_epoch]
        histories[f"fold {fold}"] = history
        if args.tta is None:
            with np.load(maps) as saved:
                probabilities.update({k: saved[k] for k in saved.files})
        else:
            probabilities.update(_recomputed(folder, args.at_epoch, [slices[i] for i in val_idx], args.tta))
        fold_of.update({slices[i].name: fold for i in val_idx})
    summary = summarise([s for s in slices if s.name in fold_of], probabilities, fold_of, histories, args.threshold)
    if args.summarise_folds:
        # A partial CV (a budget ran out): only these folds' slices are scored; say so in the file.
        summary["folds_summarised"] = sorted(wanted)
    summary["train_seconds_per_fold"] = [round(sum(r["seconds"] for r in h), 1) for h in histories.values()]
    summary["model"] = {"base_width": args.base_width, "depth": args.depth, "input_channels": args.input_channels,
                        "input_size": args.input_size}
    summary["training"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                           if k not in ("data", "out", "only_fold", "summarise")}
    name = "cv-summary.json" if args.at_epoch is None else f"cv-summary-epoch-{args.at_epoch}.json"
    if args.summarise_folds:
        name = name.replace(".json", "-folds-" + "".join(str(k) for k in sorted(wanted)) + ".json")
    if args.tta is not None:
        summary["tta"] = args.tta
        name = name.replace(".json", f"-tta-{args.tta}.json")
    (args.out / name).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    plot_histories(histories, args.out / name.replace("summary", "curves").replace(".json", ".png"),
                   f"{args.folds}-fold cross-validation")
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    parser.add_argument("--folds", type=int, default=5)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--only-fold", type=int, help="train this fold only (0-based)")
    mode.add_argument("--summarise", action="store_true", help="only gather finished folds")
    parser.add_argument("--snapshot-every", type=int, default=0, help="also keep epoch-<e>.pt and its validation maps")
    parser.add_argument("--at-epoch", type=int, help="with --summarise: use the snapshots of this epoch")
    parser.add_argument("--tta", choices=TTA_CHOICES,
                        help="with --summarise: predict the validation slices again from the fold checkpoints, "
                             "with this test-time augmentation (none: the same maps as training saved)")
    parser.add_argument("--summarise-folds", type=fold_list,
                        help="with --summarise: gather only these folds (e.g. 0,1,2), for a CV stopped early")
    args = parser.parse_args(argv)
    if args.summarise_folds and (not args.summarise or len(set(args.summarise_folds)) < 2
                                 or any(not 0 <= k < args.folds for k in args.summarise_folds)):
        parser.error(f"--summarise-folds takes two or more folds of 0..{args.folds - 1}, with --summarise")
    model_config, train_config = configs(args)
    slices = load_slices(args.data)
    splits = k_fold_indices(len(slices), args.folds, args.seed)
    if not args.summarise:
        folds = range(args.folds) if args.only_fold is None else [args.only_fold]
        for fold in folds:
            train_idx, val_idx = splits[fold]
            started = time.time()
            result = train(
                model_config, [slices[i] for i in train_idx], [slices[i] for i in val_idx], train_config,
                args.out / f"fold-{fold}", description=f"fold {fold}", stop_file=args.out / "STOP",
                start=start_point(args.continue_from / f"fold-{fold}") if args.continue_from else None,
                snapshot_every=args.snapshot_every,
            )
            np.savez_compressed(args.out / f"fold-{fold}" / "val-probabilities.npz", **result.val_probabilities)
            print(json.dumps({"fold": fold, "seconds": round(time.time() - started, 1), "last": result.history[-1]}))
    if args.only_fold is None:
        print(json.dumps(gather(args, slices)["headline"], indent=2))


if __name__ == "__main__":
    main()

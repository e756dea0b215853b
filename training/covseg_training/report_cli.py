"""Command line: the small, committed record of a CV run for the model card (models/).

    /usr/bin/python3 -m covseg_training.report_cli --cv runs/cv --final runs/final --out ../models

Writes `cv-summary.csv` (one row per fold plus the over-images row, at the CV threshold),
`cv-per-image.csv` (out-of-fold per-slice metrics, slice names only), `dice-by-threshold.csv`,
`training-curves.png` (CV folds and the final run) and prints a Markdown table for the model card.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from .cv_cli import read_history
from .metrics import METRIC_NAMES
from .plots import plot_histories


def _joined(stage1: Path | None, stage2: Path) -> list[dict[str, float]]:
    """Stage 2's history, preceded by the stage-1 epochs before stage 2 started (its start snapshot)."""
    second = read_history(stage2 / "history.csv")
    if stage1 is None:
        return second
    return [row for row in read_history(stage1 / "history.csv") if row["epoch"] < second[0]["epoch"]] + second


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", type=Path, required=True, help="the CV run whose cv-summary.json is reported")
    parser.add_argument("--final", type=Path, required=True)
    parser.add_argument("--cv-stage1", type=Path, help="first stage of a continued CV run, for the curves")
    parser.add_argument("--final-stage1", type=Path, help="first stage of a continued final run, for the curves")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    summary = json.loads((args.cv / "cv-summary.json").read_text(encoding="utf-8"))
    figures = summary["metrics_last_epoch"]
    folds = len(figures["dice"]["fold_means"])
    with open(args.out / "cv-summary.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scope", *METRIC_NAMES])
        for fold in range(folds):
            writer.writerow([f"fold {fold} (mean over its images)", *[figures[m]["fold_means"][fold] for m in METRIC_NAMES]])
        writer.writerow(["all images: mean", *[figures[m]["mean"] for m in METRIC_NAMES]])
        writer.writerow(["all images: sd over images", *[figures[m]["sd_over_images"] for m in METRIC_NAMES]])
        writer.writerow(["sd of fold means", *[figures[m]["sd_across_folds"] for m in METRIC_NAMES]])
    with open(args.out / "cv-per-image.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["slice", "fold", *METRIC_NAMES])
        for name, row in summary["per_image"].items():
            writer.writerow([name, row["fold"], *[row[m] for m in METRIC_NAMES]])
    with open(args.out / "dice-by-threshold.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["threshold", "dice_mean_over_images"])
        writer.writerows(summary["dice_by_threshold"].items())
    histories = {
        f"fold {k}": _joined(args.cv_stage1 and args.cv_stage1 / f"fold-{k}", args.cv / f"fold-{k}") for k in range(folds)
    }
    histories["final (all 50 slices)"] = _joined(args.final_stage1, args.final)
    plot_histories(histories, args.out / "training-curves.png", f"{folds}-fold CV (solid: validation) and final run")
    print("| metric | mean over images | sd over images | sd of fold means | fold means |")
    print("|---|---|---|---|---|")
    for m in METRIC_NAMES:
        f = figures[m]
        print(f"| {m} | {f['mean']:.3f} | {f['sd_over_images']:.3f} | {f['sd_across_folds']:.3f} | "
              + ", ".join(f"{v:.3f}" for v in f["fold_means"]) + " |")


if __name__ == "__main__":
    main()

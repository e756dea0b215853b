"""Cross-validation figures: mean +- sd over images and across folds, a threshold sweep and epoch choice."""
from __future__ import annotations

import numpy as np

from .dataset import Slice
from .metrics import METRIC_NAMES, overlap_metrics

SWEEP = [round(t, 2) for t in np.arange(0.3, 0.951, 0.05)]


def per_image(slices: list[Slice], probabilities: dict[str, np.ndarray], threshold: float) -> dict[str, dict]:
    missing = [s.name for s in slices if s.name not in probabilities]
    if missing:
        raise ValueError(f"summarise cross-validation: no out-of-fold prediction for slices {missing[:5]}")
    return {s.name: overlap_metrics(probabilities[s.name].astype(np.float32) >= threshold, s.mask) for s in slices}


def spread(rows: dict[str, dict], fold_of: dict[str, int]) -> dict[str, dict[str, float]]:
    """For each metric: mean and sd over images, and mean and sd of the per-fold means."""
    out = {}
    folds = sorted(set(fold_of.values()))
    for name in METRIC_NAMES:
        values = np.array([row[name] for row in rows.values()])
        fold_means = np.array([np.mean([rows[k][name] for k in rows if fold_of[k] == f]) for f in folds])
        out[name] = {
            "mean": round(float(values.mean()), 4),
            "sd_over_images": round(float(values.std(ddof=1)), 4),
            "sd_across_folds": round(float(fold_means.std(ddof=1)), 4),
            "fold_means": [round(float(v), 4) for v in fold_means],
        }
    return out


def epoch_curve(histories: dict[str, list[dict[str, float]]]) -> list[float]:
    """Mean over folds of the validation Dice at each epoch."""
    length = min(len(h) for h in histories.values())
    return [float(np.mean([h[e]["val_dice"] for h in histories.values()])) for e in range(length)]


def nested_threshold(slices: list[Slice], probabilities: dict[str, np.ndarray], fold_of: dict[str, int]) -> dict:
    """Threshold chosen inside the training folds: for each fold k, the threshold of SWEEP with the best mean
    Dice over the OTHER folds' out-of-fold predictions (labels fold k never contributes to the choice); fold
    k's slices are then scored at that threshold. Returns the thresholds per fold and the mean Dice."""
    dice_at = {t: {name: row["dice"] for name, row in per_image(slices, probabilities, t).items()} for t in SWEEP}
    folds = sorted(set(fold_of.values()))
    chosen, scores = {}, {}
    for fold in folds:
        inner = [s.name for s in slices if fold_of[s.name] != fold]
        best = max(SWEEP, key=lambda t: (np.mean([dice_at[t][n] for n in inner]), -abs(t - 0.5)))
        chosen[str(fold)] = best
        scores.update({s.name: dice_at[best][s.name] for s in slices if fold_of[s.name] == fold})
    fold_means = [float(np.mean([scores[n] for n in scores if fold_of[n] == f])) for f in folds]
    return {"threshold_by_fold": chosen, "dice_mean": round(float(np.mean(list(scores.values()))), 4),
            "dice_sd_over_images": round(float(np.std(list(scores.values()), ddof=1)), 4),
            "dice_fold_means": [round(v, 4) for v in fold_means]}


def summarise(
    slices: list[Slice],
    probabilities: dict[str, np.ndarray],
    fold_of: dict[str, int],
    histories: dict[str, list[dict[str, float]]],
    threshold: float,
) -> dict:
    rows = per_image(slices, probabilities, threshold)
    sweep = {}
    for t in SWEEP:
        values = [r["dice"] for r in per_image(slices, probabilities, t).values()]
        sweep[str(t)] = round(float(np.mean(values)), 4)
    curve = epoch_curve(histories)
    figures = spread(rows, fold_of)
    return {
        "headline": {
            "folds": len(set(fold_of.values())),
            "images": len(slices),
            "threshold": threshold,
            "epochs": int(min(h[-1]["epoch"] for h in histories.values())),
            **{f"{m}_mean": figures[m]["mean"] for m in METRIC_NAMES},
            "dice_sd_over_images": figures["dice"]["sd_over_images"],
            "dice_sd_across_folds": figures["dice"]["sd_across_folds"],
        },
        "metrics_last_epoch": figures,
        "dice_by_threshold": sweep,
        "nested_threshold": nested_threshold(slices, probabilities, fold_of),
        "val_dice_by_epoch_mean_over_folds": [round(v, 4) for v in curve],
        "first_epoch": int(min(h[0]["epoch"] for h in histories.values())),
        "best_epoch_by_mean_val_dice": int(min(h[0]["epoch"] for h in histories.values())) + int(np.argmax(curve)),
        "per_image": {k: {m: round(v, 4) for m, v in r.items()} | {"fold": fold_of[k]} for k, r in rows.items()},
    }


def cv_metrics_for_metadata(summary: dict) -> dict:
    """The compact CV figures for covseg.cv_metrics (the per-image detail stays in cv-summary.json)."""
    figures = summary["metrics_last_epoch"]
    return {
        "folds": summary["headline"]["folds"],
        "images": summary["headline"]["images"],
        "epochs": summary["headline"]["epochs"],
        "threshold": summary["headline"]["threshold"],
        "averaging": "per-image metrics of out-of-fold predictions at native size, last epoch; mean over images",
        **{name: {k: v for k, v in figures[name].items() if k != "fold_means"} for name in figures},
        "dice_fold_means": figures["dice"]["fold_means"],
    }

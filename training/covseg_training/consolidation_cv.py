"""Scoring of a multi-class prediction and the nested cross-validation of the consolidation head.

Scoring follows the multi-class contract and the server's upload path: the S x S maps are resized bilinearly
(align_corners=False) to the slice's native size; infection = `prob >= threshold` (the binary model's rule);
an infection pixel is consolidation when `consolidation >= consolidation_threshold`, otherwise GGO. Dice is per
image (an empty prediction of an empty truth scores 1, as in metrics.overlap_metrics and `npm run evaluate`),
then averaged over images.

Nested CV: the consolidation threshold of outer fold k is chosen by an inner k-fold CV **inside fold k's
training slices** (heads trained on inner-training slices predict inner-validation slices; the threshold with
the best mean of the GGO and consolidation Dice over those predictions wins). Fold k's own slices never take
part in choosing their threshold or training their head.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch
import torch.nn.functional as F

from .consolidation import CONSOLIDATION, GGO, FeatureCache, HeadTrainConfig, predict_consolidation, train_head
from .dataset import k_fold_indices
from .metrics import overlap_metrics

CONSOLIDATION_THRESHOLDS = [round(float(t), 2) for t in np.arange(0.05, 0.951, 0.05)]
CLASSES = ("ggo", "consolidation", "union")


def to_native(map_s: torch.Tensor, shape: tuple[int, int]) -> np.ndarray:
    """S x S float map -> H x W float32 by the contract's bilinear resize (align_corners=False)."""
    return F.interpolate(map_s[None, None].float(), size=shape, mode="bilinear", align_corners=False)[0, 0].numpy()


def class_masks(prob: np.ndarray, consolidation: np.ndarray, threshold: float,
                consolidation_threshold: float) -> dict[str, np.ndarray]:
    """The contract's decision per pixel: the union first, then the class of each union pixel."""
    union = prob >= threshold
    dense = union & (consolidation >= consolidation_threshold)
    return {"ggo": union & ~dense, "consolidation": dense, "union": union}


def class_metrics(prob: np.ndarray, consolidation: np.ndarray, labels: np.ndarray, threshold: float,
                  consolidation_threshold: float) -> dict[str, dict[str, float]]:
    predicted = class_masks(prob, consolidation, threshold, consolidation_threshold)
    truth = {"ggo": labels == GGO, "consolidation": labels == CONSOLIDATION, "union": labels > 0}
    return {c: overlap_metrics(predicted[c], truth[c]) for c in CLASSES}


def dice_by_consolidation_threshold(prob: np.ndarray, consolidation: np.ndarray, labels: np.ndarray,
                                    threshold: float, grid: list[float]) -> dict[float, tuple[float, float]]:
    """(GGO Dice, consolidation Dice) of one image for each consolidation threshold of `grid`."""
    union = prob >= threshold
    ggo_truth, dense_truth = labels == GGO, labels == CONSOLIDATION
    out = {}
    for t in grid:
        dense = union & (consolidation >= t)
        out[t] = (overlap_metrics(union & ~dense, ggo_truth)["dice"], overlap_metrics(dense, dense_truth)["dice"])
    return out


def choose_threshold(sweeps: list[dict[float, tuple[float, float]]]) -> float:
    """The grid threshold with the best mean over images of (GGO Dice + consolidation Dice) / 2; ties go to
    the threshold nearest 0.5."""
    if not sweeps:
        raise ValueError("choose the consolidation threshold: no images")
    grid = list(sweeps[0])
    return max(grid, key=lambda t: (float(np.mean([sum(s[t]) / 2 for s in sweeps])), -abs(t - 0.5)))


def cv_fold(cache: FeatureCache, slices: list, config: HeadTrainConfig, threshold: float, fold: int,
            folds: int = 5, inner_folds: int = 4, seed: int = 0, grid: list[float] | None = None) -> dict:
    """Outer fold `fold` of the nested CV: its threshold chosen by the inner CV inside its training slices, its
    head trained on all of them, its validation slices scored. Returns {threshold, rows, maps}."""
    grid = grid or CONSOLIDATION_THRESHOLDS
    train, val = k_fold_indices(len(slices), folds, seed)[fold]
    shapes = [s.labels.shape for s in slices]
    prob = {i: to_native(cache.prob[i], shapes[i]) for i in train + val}
    inner_sweeps = []
    for inner_train, inner_val in k_fold_indices(len(train), inner_folds, seed):
        head = train_head(cache, [train[i] for i in inner_train], config)
        predicted = predict_consolidation(head, cache, [train[i] for i in inner_val])
        for m, i in enumerate(train[i] for i in inner_val):
            inner_sweeps.append(dice_by_consolidation_threshold(
                prob[i], to_native(predicted[m], shapes[i]), slices[i].labels, threshold, grid))
    chosen = choose_threshold(inner_sweeps)
    head = train_head(cache, train, config)
    predicted = predict_consolidation(head, cache, val)
    rows, maps = [], {}
    for m, i in enumerate(val):
        maps[slices[i].name] = to_native(predicted[m], shapes[i])
        metrics = class_metrics(prob[i], maps[slices[i].name], slices[i].labels, threshold, chosen)
        rows.append({"name": slices[i].name, "fold": fold, "consolidation_threshold": chosen,
                     **{f"{c}_{name}": round(v, 6) for c in CLASSES for name, v in metrics[c].items()}})
    return {"threshold": chosen, "rows": rows, "maps": maps}


def gather(cache: FeatureCache, slices: list, config: HeadTrainConfig, threshold: float, results: list[dict],
           folds: int, inner_folds: int, seed: int, grid: list[float] | None = None) -> dict:
    """The nested CV's summary from its folds' results (in fold order)."""
    grid = grid or CONSOLIDATION_THRESHOLDS
    rows = [r for result in results for r in result["rows"]]
    maps = {name: m for result in results for name, m in result["maps"].items()}
    by_name = {s.name: (i, s) for i, s in enumerate(slices)}
    order = sorted(maps, key=lambda name: by_name[name][0])
    prob = {name: to_native(cache.prob[by_name[name][0]], by_name[name][1].labels.shape) for name in order}
    labels = {name: by_name[name][1].labels for name in order}
    sweeps = [dice_by_consolidation_threshold(prob[n], maps[n], labels[n], threshold, grid) for n in order]
    all_ggo = []
    for n in order:
        metrics = class_metrics(prob[n], np.zeros_like(prob[n]), labels[n], threshold, 1.0)
        all_ggo.append({"fold": 0, **{f"{c}_{name}": v for c in CLASSES for name, v in metrics[c].items()}})
    return {
        "protocol": {"folds": folds, "inner_folds": inner_folds, "seed": seed, "threshold": threshold,
                     "objective": "mean over images of (GGO Dice + consolidation Dice) / 2, chosen in inner CV",
                     "grid": grid, "head_training": asdict(config)},
        "thresholds_chosen": [result["threshold"] for result in results],
        "summary": summarise_rows(rows),
        # For the record only (the reported figures use the nested thresholds above): Dice by threshold over
        # all out-of-fold predictions, and the threshold the final model ships with (chosen on all of them).
        "by_threshold": {str(t): {"ggo": round(float(np.mean([s[t][0] for s in sweeps])), 4),
                                  "consolidation": round(float(np.mean([s[t][1] for s in sweeps])), 4)} for t in grid},
        "final_threshold": choose_threshold(sweeps),
        # Every infection pixel called GGO: what the head has to beat.
        "all_ggo_baseline": summarise_rows(all_ggo),
        "per_image": rows,
        "maps": {n: maps[n] for n in order},
    }


def nested_cv(cache: FeatureCache, slices: list, config: HeadTrainConfig, threshold: float, folds: int = 5,
              inner_folds: int = 4, seed: int = 0, grid: list[float] | None = None, log=print) -> dict:
    """Nested k-fold CV of the head on `slices` (the cache's slices, same order). Returns the summary with the
    per-image rows, and the out-of-fold consolidation maps at native size under `maps`."""
    results = []
    for k in range(folds):
        results.append(cv_fold(cache, slices, config, threshold, k, folds, inner_folds, seed, grid))
        log(f"fold {k}: threshold {results[-1]['threshold']} chosen inside the training folds; GGO "
            f"{np.mean([r['ggo_dice'] for r in results[-1]['rows']]):.3f}, consolidation "
            f"{np.mean([r['consolidation_dice'] for r in results[-1]['rows']]):.3f}")
    return gather(cache, slices, config, threshold, results, folds, inner_folds, seed, grid)


def summarise_rows(rows: list[dict]) -> dict:
    """Mean and sd over images, and the fold means, of every class's Dice, precision and recall."""
    out = {}
    folds = sorted({r["fold"] for r in rows})
    for c in CLASSES:
        for m in ("dice", "precision", "recall"):
            values = [r[f"{c}_{m}"] for r in rows]
            out[f"{c}_{m}"] = {"mean": round(float(np.mean(values)), 4), "sd_images": round(float(np.std(values)), 4),
                               "fold_means": [round(float(np.mean([r[f"{c}_{m}"] for r in rows if r["fold"] == f])), 4)
                                              for f in folds]}
    return out

"""Overlap metrics and losses. Metrics are per image, then averaged over images (the way Inf-Net reports)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

METRIC_NAMES = ("dice", "iou", "precision", "recall")


def overlap_metrics(prediction: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Dice, IoU, precision and recall of two boolean masks of the same shape.

    An empty prediction of an empty truth scores 1 on every metric (nothing to find, nothing found).
    """
    if prediction.shape != truth.shape:
        raise ValueError(f"compare masks: prediction {prediction.shape} and truth {truth.shape} differ in shape")
    p = prediction.astype(bool)
    t = truth.astype(bool)
    tp = float(np.count_nonzero(p & t))
    fp = float(np.count_nonzero(p & ~t))
    fn = float(np.count_nonzero(~p & t))

    def ratio(num: float, den: float) -> float:
        return 1.0 if den == 0 else num / den

    return {
        "dice": ratio(2 * tp, 2 * tp + fp + fn),
        "iou": ratio(tp, tp + fp + fn),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
    }


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        raise ValueError("average metrics: no images")
    return {name: float(np.mean([row[name] for row in rows])) for name in METRIC_NAMES}


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """1 - soft Dice per image (N x 1 x S x S), averaged over the batch; `smooth` in pixels."""
    prob = torch.sigmoid(logits).flatten(1)
    truth = target.flatten(1)
    intersection = (prob * truth).sum(1)
    dice = (2 * intersection + smooth) / (prob.sum(1) + truth.sum(1) + smooth)
    return (1 - dice).mean()


def bce_dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, target) + soft_dice_loss(logits, target)


LOSSES = {"dice": soft_dice_loss, "bce_dice": bce_dice_loss}

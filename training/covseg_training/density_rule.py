"""A density rule for consolidation, cross-validated like the consolidation head (issue 12 item 4).

The rule: an infection pixel (the binary model's union) is consolidation when the mean of the serving input over
a k x k box around it (at the model's input size S, edges averaged over the pixels inside the image) is at least
t; ground-glass opacity otherwise. Consolidation is denser than ground glass and hides the vessels, which is
what the rule reads. It has two parameters and nothing to train, so it is the baseline a learnt head must beat.

Nested CV: for outer fold k, (box, t) are the pair with the best mean over fold k's training slices of
(GGO Dice + consolidation Dice) / 2 (the head's objective; ties to the smaller box, then to t nearest 0.5);
fold k's slices are then scored with that pair. Same folds, scoring and zero-denominator rule as
`consolidation_cv`, so the figures compare with the head's.

    /usr/bin/python3 -m covseg_training.density_rule --onnx runs/covseg-1.2.0.onnx \\
        --images $D/train/images --masks $D/train-multiclass/masks --out runs/density-rule

Writes `OUT/density-cv.json` (summary, the pairs chosen per fold, per-image rows).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .consolidation_cv import (CLASSES, choose_threshold, class_metrics, dice_by_consolidation_threshold,
                               summarise_rows, to_native)
from .dataset import k_fold_indices

BOXES = (1, 3, 5, 7, 9, 13)
DENSITY_THRESHOLDS = [round(float(t), 4) for t in np.arange(0.40, 0.8001, 0.0125)]


def box_mean(image_s: torch.Tensor, box: int) -> torch.Tensor:
    """Mean of an S x S image over a box x box window around each pixel (pixels outside the image not counted:
    ONNX AveragePool with count_include_pad=0)."""
    if box == 1:
        return image_s.float()
    x = image_s.float()[None, None]
    return F.avg_pool2d(x, box, stride=1, padding=box // 2, count_include_pad=False)[0, 0]


def _score(sweeps: list[dict], indices: list[int], t: float) -> float:
    return float(np.mean([sum(sweeps[i][t]) / 2 for i in indices]))


def choose_rule(sweeps: dict[int, list[dict]], indices: list[int]) -> tuple[int, float]:
    """The (box, t) with the best mean (GGO + consolidation) / 2 Dice over `indices` (ties: smaller box)."""
    best = None
    for box in sorted(sweeps):
        t = choose_threshold([sweeps[box][i] for i in indices])
        score = _score(sweeps[box], indices, t)
        if best is None or score > best[0]:
            best = (score, box, t)
    return best[1], best[2]


def nested_cv(prob_s: list[torch.Tensor], image_s: list[torch.Tensor], labels: list[np.ndarray], names: list[str],
              threshold: float, folds: int = 5, seed: int = 0, boxes=BOXES, grid=None) -> dict:
    """Nested k-fold CV of the rule. `prob_s` / `image_s`: each slice's S x S union probability and serving input;
    `labels`: native-size 0/1/2 maps. Returns the summary, the pairs chosen and the per-image rows."""
    grid = grid or DENSITY_THRESHOLDS
    shapes = [lab.shape for lab in labels]
    prob = [to_native(p, shape) for p, shape in zip(prob_s, shapes)]
    density = {box: [to_native(box_mean(x, box), shape) for x, shape in zip(image_s, shapes)] for box in boxes}
    sweeps = {box: [dice_by_consolidation_threshold(prob[i], density[box][i], labels[i], threshold, grid)
                    for i in range(len(labels))] for box in boxes}
    rows, chosen = [], []
    for fold, (train, val) in enumerate(k_fold_indices(len(labels), folds, seed)):
        box, t = choose_rule(sweeps, train)
        chosen.append({"fold": fold, "box": box, "threshold": t})
        for i in val:
            metrics = class_metrics(prob[i], density[box][i], labels[i], threshold, t)
            rows.append({"name": names[i], "fold": fold, "box": box, "density_threshold": t,
                         **{f"{c}_{m}": round(v, 6) for c in CLASSES for m, v in metrics[c].items()}})
    everything = list(range(len(labels)))
    final_box, final_t = choose_rule(sweeps, everything)
    return {"protocol": {"folds": folds, "seed": seed, "threshold": threshold, "boxes": list(boxes), "grid": grid,
                         "objective": "mean over a fold's training images of (GGO Dice + consolidation Dice) / 2"},
            "chosen": chosen, "summary": summarise_rows(rows),
            # For the record only: the pair chosen on all 50 slices (what a shipped rule would use).
            "final": {"box": final_box, "threshold": final_t,
                      "all_slices_objective": round(_score(sweeps[final_box], everything, final_t), 4)},
            "per_image": rows}


def main(argv: list[str] | None = None) -> None:
    from .consolidation import build_feature_cache
    from .from_onnx import unet_from_onnx
    from .multiclass_data import load_labelled_slices

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True, help="the binary model whose union the rule splits")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--masks", type=Path, required=True, help="palette PNGs: 0 background, 1 GGO, 2 consolidation")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    net, metadata = unet_from_onnx(args.onnx)
    slices = load_labelled_slices(args.images, args.masks)
    cache = build_feature_cache(net, slices, augmented_views=0, seed=args.seed)
    f = cache.feature_channels
    images = [cache.eval_inputs[i, 0, f] for i in range(len(slices))]
    result = nested_cv(list(cache.prob), images, [s.labels for s in slices], [s.name for s in slices],
                       float(metadata["covseg.threshold"]), args.folds, args.seed)
    result["origin_version"] = metadata.get("covseg.version")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "density-cv.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps({"chosen": result["chosen"], "final": result["final"],
                      **{k: v["mean"] for k, v in result["summary"].items() if k.endswith("_dice")}}))


if __name__ == "__main__":
    main()

"""Command line: cross-validate an ensemble of models whose runs share the same folds.

    /usr/bin/python3 -m covseg_training.ensemble_cv --data DOCTOR --runs runs/s9/cv3 runs/s8/ft-160-w16 \\
        --mode mean --out runs/s9/ensemble-mean.json

Each run is a CV folder with `fold-<k>/last.pt` (cv_cli or semi_cli finetune, the same seeded folds). For each
fold, every member's fold-k model predicts that fold's slices through the serving path (resize to S, model,
resize back, threshold at native size) and the maps are averaged:

- `mean`: each member with the flip TTA, then the mean (2 passes per member);
- `cross`: member i sees the input mirrored i times, its map is mirrored back (1 pass per member: two members
  cost what one member with the flip TTA costs).

The summary is cv_summary's (per image, per fold, by threshold, nested threshold) for the ensemble and for each
member alone with the flip TTA, plus the paired Dice difference of the ensemble against each member. With
`--negatives DIR ...` (empty-mask slices framed as the server frames them, bench/hard-negatives.ts), also the %
of their pixels flagged at each threshold of the sweep, by the ensemble and by each member, averaged over the
fold models (every fold's model scores every negative slice): the false-positive side of the same choice.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .cv_cli import fold_list
from .cv_summary import SWEEP, summarise
from .dataset import k_fold_indices, load_slices
from .export_onnx import load_checkpoint
from .train import predict_native
from .tta import with_tta

MODES = ("mean", "cross")


class _Ensemble(nn.Module):
    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)
        self.config = members[0].config


class CrossFlipEnsemble(_Ensemble):
    """Member i predicts the input mirrored i times (width axis), mirrored back; the maps are averaged."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = []
        for i, member in enumerate(self.members):
            if i % 2:
                maps.append(torch.flip(member(torch.flip(x, [3])), [3]))
            else:
                maps.append(member(x))
        return torch.stack(maps).mean(0)


class MeanEnsemble(_Ensemble):
    """The mean of the members' maps (each member already wrapped, e.g. with the flip TTA)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([member(x) for member in self.members]).mean(0)


def ensemble(members: list[nn.Module], mode: str) -> nn.Module:
    if mode == "mean":
        return MeanEnsemble([with_tta(m, "hflip") for m in members])
    if mode == "cross":
        return CrossFlipEnsemble(members)
    raise ValueError(f"ensemble mode {mode!r} is not one of {MODES}")


def _paired(a: dict, b: dict) -> dict:
    diff = np.array([a[k]["dice"] - b[k]["dice"] for k in a])
    return {"mean": round(float(diff.mean()), 4), "standard_error": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4),
            "better": int((diff > 0).sum()), "worse": int((diff < 0).sum())}


def _flagged_percent(maps: dict[str, np.ndarray], slices) -> dict[str, float]:
    total = sum(s.image.size for s in slices)
    return {str(t): 100.0 * sum(int(np.count_nonzero(maps[s.name] >= t)) for s in slices) / max(1, total) for t in SWEEP}


def cross_validate(data: Path, runs: list[Path], mode: str, folds: int, seed: int, threshold: float,
                   only: list[int] | None = None, negatives: dict[str, list] | None = None) -> dict:
    all_slices = load_slices(data)
    negatives = negatives or {}
    flagged: dict[str, dict[str, list[dict[str, float]]]] = {n: {} for n in negatives}
    fold_of: dict[str, int] = {}
    maps: dict[str, dict[str, np.ndarray]] = {"ensemble": {}, **{str(r): {} for r in runs}}
    for fold, (_, val_idx) in enumerate(k_fold_indices(len(all_slices), folds, seed)):
        if only is not None and fold not in only:
            continue
        val = [all_slices[i] for i in val_idx]
        members = [load_checkpoint(run / f"fold-{fold}" / "last.pt").eval() for run in runs]
        sizes = {m.config.input_size for m in members}
        if len(sizes) != 1:
            raise SystemExit(f"ensemble: fold {fold} members have input sizes {sorted(sizes)}; one size is needed")
        # Each member predicts once; the mean ensemble is the mean of those maps (the resize back to native size
        # is linear, so averaging after it equals averaging before), only the cross-flip ensemble runs again.
        tta_members = [with_tta(member, "hflip") for member in members]
        for set_name, set_slices in {"": val, **negatives}.items():
            member_maps = [predict_native(model, set_slices) for model in tta_members]
            ensemble_maps = ({s.name: np.mean([m[s.name] for m in member_maps], axis=0) for s in set_slices}
                             if mode == "mean" else predict_native(ensemble(members, mode), set_slices))
            by_name = {"ensemble": ensemble_maps, **{str(run): m for run, m in zip(runs, member_maps)}}
            for name, set_maps in by_name.items():
                if set_name:
                    flagged[set_name].setdefault(name, []).append(_flagged_percent(set_maps, set_slices))
                else:
                    maps[name].update(set_maps)
        fold_of.update({s.name: fold for s in val})
    slices = [s for s in all_slices if s.name in fold_of]
    no_history = {"none": [{"epoch": 0, "val_dice": 0.0}]}
    summaries = {name: summarise(slices, m, fold_of, no_history, threshold) for name, m in maps.items()}
    out = {"mode": mode, "threshold": threshold, "runs": [str(r) for r in runs], "folds": sorted(set(fold_of.values())),
           "summaries": {}}
    for name, summary in summaries.items():
        summary.pop("val_dice_by_epoch_mean_over_folds")
        summary.pop("best_epoch_by_mean_val_dice")
        summary.pop("first_epoch")
        summary["headline"].pop("epochs")
        out["summaries"][name] = summary
    if negatives:
        out["negatives_percent_flagged"] = {
            set_name: {name: {t: round(float(np.mean([f[t] for f in per_fold])), 4) for t in per_fold[0]}
                       for name, per_fold in by_model.items()}
            for set_name, by_model in flagged.items()}
    out["ensemble_minus_member"] = {
        str(r): _paired(summaries["ensemble"]["per_image"], summaries[str(r)]["per_image"]) for r in runs}
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the doctor slices (images/ and masks/)")
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="CV folders with fold-<k>/last.pt")
    parser.add_argument("--mode", choices=MODES, default="mean")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only-folds", type=fold_list,
                        help="comma-separated folds to score (the others are not finished yet)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--negatives", type=Path, nargs="*", default=[],
                        help="folders of empty-mask framed slices: % of pixels flagged by threshold")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = cross_validate(args.data, args.runs, args.mode, args.folds, args.seed, args.threshold,
                            args.only_folds, {folder.name: load_slices(folder) for folder in args.negatives})
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    brief = {name: {"dice": s["headline"]["dice_mean"], "nested": s["nested_threshold"]["dice_mean"],
                    "by_threshold": s["dice_by_threshold"]} for name, s in result["summaries"].items()}
    print(json.dumps({"mode": args.mode, "figures": brief, "paired": result["ensemble_minus_member"],
                      "negatives_percent_flagged": result.get("negatives_percent_flagged", {})}))


if __name__ == "__main__":
    main()

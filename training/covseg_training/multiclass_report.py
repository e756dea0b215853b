"""Command line: the model card's record of a multi-class model: a reliability (calibration) plot of both outputs
and pictures of the consolidation head's worst CV slices.

    /usr/bin/python3 -m covseg_training.multiclass_report --onnx runs/covseg-1.2.0.onnx --cv runs/consolidation \\
        --images $D/train/images --masks $D/train-multiclass/masks --pseudo $D/pseudo --out ../models

- `calibration.png` / `calibration.json`: observed frequency against predicted probability in 10 bins, with the
  expected calibration error (ECE, the pixel-weighted mean |observed - predicted|):
  `prob` (the binary model, flip TTA) on the held-out pseudo-label patients (`volume_split(..., 4, seed)`: the
  patients 1.2.0 never trained on; every 2nd slice), **against Inf-Net's pseudo-labels >= 128, not doctors'**,
  and on the 50 doctor slices (seen in training, for contrast);
  `consolidation` from the nested CV's out-of-fold maps against the doctors' labels, over the pixels the doctors
  marked as infection (where the class is decided) and over every pixel.
- `failure-cases.png`: label maps only (doctor vs model), no CT pixels: the doctor slices' images carry no
  licence to redistribute, so they stay out of the repository.
- with `--framed DIR --head head.pt`: `framed-multiclass.png`, the middle slice of each series of DIR (slices
  framed as the server frames them, `bench/hard-negatives.ts`, named `<series>_<z>.png`) with the multi-class
  model's GGO and consolidation over it, before the server's lung clipping; and per series the share of the
  crop marked as infection and the share of that marked consolidation.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import matplotlib
import numpy as np

from .consolidation_cv import class_masks, to_native
from .dataset import load_slices, volume_split
from .from_onnx import unet_from_onnx
from .multiclass_data import load_labelled_slices
from .train import predict_native
from .tta import with_tta

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before pyplot loads)

BINS = 10


def reliability(predicted: np.ndarray, truth: np.ndarray, bins: int = BINS) -> dict:
    """Per bin of predicted probability: pixel count, mean prediction, observed frequency; and the ECE."""
    p = predicted.ravel().astype(np.float64)
    t = truth.ravel().astype(np.float64)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    count = np.bincount(index, minlength=bins)
    mean_p = np.bincount(index, weights=p, minlength=bins) / np.maximum(count, 1)
    observed = np.bincount(index, weights=t, minlength=bins) / np.maximum(count, 1)
    ece = float(np.sum(count * np.abs(observed - mean_p)) / max(int(count.sum()), 1))
    return {"count": count.tolist(), "mean_predicted": np.round(mean_p, 4).tolist(),
            "observed": np.round(observed, 4).tolist(), "ece": round(ece, 4), "pixels": int(count.sum())}


def _draw(axis, curves: dict[str, dict], title: str) -> None:
    axis.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    for index, (name, r) in enumerate(curves.items()):
        keep = np.array(r["count"]) > 0
        axis.plot(np.array(r["mean_predicted"])[keep], np.array(r["observed"])[keep], "o-", ms=3, color=f"C{index}",
                  label=f"{name} (ECE {r['ece']:.3f}, {r['pixels'] / 1e6:.1f} M px)")
    axis.set(xlabel="predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1), title=title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left")


COLOURS = np.array([[30, 30, 30], [240, 200, 40], [220, 40, 40]], np.uint8)  # background, GGO, consolidation


def label_panel(labels: np.ndarray, side: int = 150) -> np.ndarray:
    """Colour label map, nearest-neighbour scaled so its longer side is `side` pixels."""
    h, w = labels.shape
    scale = side / max(h, w)
    rows = np.minimum((np.arange(int(h * scale)) / scale).astype(int), h - 1)
    cols = np.minimum((np.arange(int(w * scale)) / scale).astype(int), w - 1)
    return COLOURS[labels[rows][:, cols]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", type=Path, required=True, help="the binary model (its `prob` is the union)")
    parser.add_argument("--cv", type=Path, required=True, help="consolidation_cli's --out folder")
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--masks", type=Path, required=True)
    parser.add_argument("--pseudo", type=Path, required=True)
    parser.add_argument("--pseudo-val-volumes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--failures", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--framed", type=Path, help="framed CT slices (bench/hard-negatives.ts layout) to picture")
    parser.add_argument("--head", type=Path, help="head.pt of consolidation_cli (with --framed)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    net, metadata = unet_from_onnx(args.onnx)
    model = with_tta(net, metadata.get("covseg.tta", "none"))
    threshold = float(metadata["covseg.threshold"])
    doctor = load_labelled_slices(args.images, args.masks)
    _, held = volume_split(load_slices(args.pseudo), args.pseudo_val_volumes, args.seed)
    held = held[::2]
    held_prob = predict_native(model, held)
    doctor_prob = predict_native(model, doctor)
    maps = np.load(args.cv / "oof-consolidation.npz")
    oof = {s.name: maps[s.name].astype(np.float32) for s in doctor}
    cat = np.concatenate
    curves = {
        "prob": {
            f"held-out pseudo patients ({len(held)} slices) vs pseudo-labels": reliability(
                cat([held_prob[s.name].ravel() for s in held]), cat([s.mask.ravel() for s in held])),
            "50 doctor slices (seen in training) vs doctors": reliability(
                cat([doctor_prob[s.name].ravel() for s in doctor]), cat([s.mask.ravel() for s in doctor])),
        },
        "consolidation": {
            "CV out-of-fold, doctor-marked infection pixels": reliability(
                cat([oof[s.name][s.labels > 0] for s in doctor]), cat([s.labels[s.labels > 0] == 2 for s in doctor])),
            "CV out-of-fold, every pixel": reliability(
                cat([oof[s.name].ravel() for s in doctor]), cat([(s.labels == 2).ravel() for s in doctor])),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    _draw(axes[0], curves["prob"], "prob (infection), 1.2.0 network, flip TTA")
    _draw(axes[1], curves["consolidation"], "consolidation head, nested 5-fold CV")
    figure.tight_layout()
    figure.savefig(args.out / "calibration.png", dpi=90)
    plt.close(figure)
    (args.out / "calibration.json").write_text(json.dumps(curves, indent=1), encoding="utf-8")

    with (args.cv / "cv-per-image.csv").open(encoding="utf-8") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    with_dense = [s for s in doctor if np.count_nonzero(s.labels == 2) >= 1000]
    worst = sorted(with_dense, key=lambda s: float(rows[s.name]["consolidation_dice"]))[: args.failures - 1]
    without = [s for s in doctor if np.count_nonzero(s.labels == 2) == 0]
    worst += sorted(without, key=lambda s: float(rows[s.name]["consolidation_dice"]))[:1]
    figure, axes = plt.subplots(len(worst), 2, figsize=(4.2, 2.1 * len(worst)))
    for row, s in enumerate(worst):
        masks = class_masks(doctor_prob[s.name], oof[s.name], threshold, float(rows[s.name]["consolidation_threshold"]))
        predicted = masks["ggo"].astype(np.uint8) + 2 * masks["consolidation"].astype(np.uint8)
        r = rows[s.name]
        for column, (labels, title) in enumerate(((s.labels, f"slice {s.name}: doctors"),
                                                  (predicted, f"model: GGO {float(r['ggo_dice']):.2f}, "
                                                              f"cons. {float(r['consolidation_dice']):.2f}"))):
            axes[row, column].imshow(label_panel(labels))
            axes[row, column].set_title(title, fontsize=7)
            axes[row, column].axis("off")
    figure.suptitle("yellow GGO, red consolidation (CV out-of-fold)", fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out / "failure-cases.png", dpi=90)
    plt.close(figure)
    framed = picture_framed(net, args.head, args.framed, threshold, args.out) if args.framed else None
    print(json.dumps({"calibration": {k: {n: c["ece"] for n, c in v.items()} for k, v in curves.items()},
                      "failures": [s.name for s in worst], "framed": framed}))


def picture_framed(net, head_path: Path, folder: Path, threshold: float, out: Path) -> dict:
    """Middle slice of each series in `folder` with the model's classes over it; class shares per series."""
    import torch

    from .augment import resize_plain
    from .consolidation import ConsolidationHead, MultiClassNet

    checkpoint = torch.load(str(head_path), map_location="cpu")
    d = checkpoint["head"]
    head = ConsolidationHead.from_description(d)
    head.load_state_dict(checkpoint["state_dict"])
    model = MultiClassNet(net, head.eval()).eval()
    t_c = float(checkpoint["consolidation_threshold"])
    slices = load_slices(folder)
    series = sorted({s.name.rsplit("_", 1)[0] for s in slices})
    shares, pictures = {}, []
    for name in series:
        members = sorted((s for s in slices if s.name.rsplit("_", 1)[0] == name), key=lambda s: int(s.name.rsplit("_", 1)[1]))
        union = dense = pixels = 0
        for s in members:
            x = resize_plain(torch.from_numpy(s.image.astype(np.float32) / 255)[None, None], net.config.input_size)
            with torch.no_grad():
                prob, consolidation = model(x)
            masks = class_masks(to_native(prob[0, 0], s.image.shape), to_native(consolidation[0, 0], s.image.shape), threshold, t_c)
            union += int(masks["union"].sum())
            dense += int(masks["consolidation"].sum())
            pixels += s.image.size
            if s is members[len(members) // 2]:
                rgb = np.repeat(s.image[..., None], 3, axis=2).astype(np.float32)
                for mask, colour in ((masks["ggo"], COLOURS[1]), (masks["consolidation"], COLOURS[2])):
                    rgb[mask] = 0.55 * rgb[mask] + 0.45 * colour
                pictures.append((name, s.name, rgb.astype(np.uint8)))
        shares[name] = {"infection_percent_of_crop": round(100 * union / pixels, 2),
                        "consolidation_percent_of_infection": round(100 * dense / max(union, 1), 1)}
    figure, axes = plt.subplots(1, len(pictures), figsize=(2.4 * len(pictures), 2.7))
    for axis, (name, stem, rgb) in zip(np.atleast_1d(axes), pictures):
        axis.imshow(rgb)
        axis.set_title(f"{stem}\ninfection {shares[name]['infection_percent_of_crop']} % of crop,\n"
                       f"{shares[name]['consolidation_percent_of_infection']} % of it consolidation", fontsize=7)
        axis.axis("off")
    figure.suptitle("yellow GGO, red consolidation (framed crop, before lung clipping)", fontsize=8)
    figure.tight_layout()
    figure.savefig(out / "framed-multiclass.png", dpi=90)
    plt.close(figure)
    return shares


if __name__ == "__main__":
    main()

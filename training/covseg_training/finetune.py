"""Command line: fine-tune a trained U-Net on the readers' corrections exported by the server.

    /usr/bin/python3 -m covseg_training.finetune --corrections EXPORT --init runs/final/best.pt \
        --out runs/finetune --epochs 10 [--base-data DATA] [--learning-rate 1e-4]

EXPORT is the folder `npm run export-corrections -- --out EXPORT` writes: `images/` + `masks/` with the same
stems (the framed 8-bit slices of CONTRACTS.md section 1 and their corrected masks, the layout dataset.py
reads) and `manifest.json` (provenance per pair). `--base-data` mixes the original training slices in, so
a handful of corrections refine the model rather than replace what it learnt. The network shape comes from
the `--init` checkpoint; training starts from its weights at `--learning-rate` (fresh Adam moments).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from .dataset import DatasetLayoutError, Slice, load_slices
from .train import StartPoint, TrainConfig, train
from .unet import UNetConfig

MANIFEST = "manifest.json"


def load_corrections(root: Path) -> list[Slice]:
    """The exported pairs, checked against the manifest: every pair has a provenance entry and vice versa."""
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise DatasetLayoutError(f"read corrections {root}: no {MANIFEST} (not an export-corrections folder)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    slices = load_slices(root)
    listed = {entry["name"] for entry in manifest.get("pairs", [])}
    present = {s.name for s in slices}
    if listed != present:
        differ = sorted(listed ^ present)[:5]
        raise DatasetLayoutError(f"read corrections {root}: manifest and images/ differ, e.g. {differ}")
    # Stems are only unique within one folder; prefix them so they never collide with --base-data names.
    return [Slice(f"correction-{s.name}", s.image, s.mask) for s in slices]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corrections", type=Path, required=True, help="folder written by export-corrections")
    parser.add_argument("--init", type=Path, required=True, help="checkpoint (.pt) written by train.py")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-data", type=Path, help="original training folder (images/ + masks/) to mix in")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--loss", choices=["dice", "bce_dice"], default="bce_dice")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    if not args.init.is_file():
        raise SystemExit(f"fine-tune: checkpoint {args.init} does not exist")
    checkpoint = torch.load(str(args.init), map_location="cpu")
    model_config = UNetConfig(**checkpoint["config"])
    train_config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, loss=args.loss,
        threshold=args.threshold, seed=args.seed, threads=args.threads,
    )
    corrections = load_corrections(args.corrections)
    slices = corrections + (load_slices(args.base_data) if args.base_data else [])
    started = time.time()
    result = train(model_config, slices, [], train_config, args.out, "finetune", stop_file=args.out / "STOP",
                   start=StartPoint(checkpoint["state_dict"], 0, args.learning_rate))
    report = {"init": str(args.init), "corrections": len(corrections), "slices": len(slices),
              "epochs": len(result.history), "train_seconds": round(time.time() - started, 1),
              "first": result.history[0], "last": result.history[-1]}
    (args.out / "finetune-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()

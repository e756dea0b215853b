"""Command line: train the shipped model on every slice, keeping snapshots to pick the epoch count from CV.

    nice -n 5 /usr/bin/python3 -m covseg_training.final_cli --data DATA --out runs/final --epochs 60 \
        --loss bce_dice --threads 1 --snapshot-every 5

With no validation slices, ReduceLROnPlateau watches the training loss. The LR schedule never looks ahead,
so the snapshot `epoch-<e>.pt` is exactly the model a run of `e` epochs would have produced: the epoch
count is then chosen from the CV curves (cv-summary.json) and that snapshot is exported with export_cli.
"""
from __future__ import annotations

import argparse
import json
import time

from .cv_cli import add_model_arguments, configs
from .dataset import load_slices
from .plots import plot_histories
from .train import start_point, train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser)
    parser.add_argument("--snapshot-every", type=int, default=5)
    parser.add_argument("--continue-epoch", type=int, help="with --continue-from: start from its epoch-<e>.pt")
    args = parser.parse_args(argv)
    model_config, train_config = configs(args)
    slices = load_slices(args.data)
    started = time.time()
    result = train(model_config, slices, [], train_config, args.out, "final", snapshot_every=args.snapshot_every,
                   stop_file=args.out / "STOP",
                   start=start_point(args.continue_from, args.continue_epoch) if args.continue_from else None)
    plot_histories({"final (all slices)": result.history}, args.out / "final-curves.png", "final training")
    report = {"slices": len(slices), "epochs": len(result.history), "train_seconds": round(time.time() - started, 1),
              "last": result.history[-1]}
    (args.out / "final-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()

"""One training run: Adam, Dice (or BCE+Dice) loss, ReduceLROnPlateau, best-on-validation-loss checkpoint,
a CSV row per epoch and a tqdm progress bar.

Validation follows the serving path of CONTRACTS.md section 1: the whole framed slice is resized to S x S
(bilinear, align_corners=False), the probability map is resized back to the slice's native size and
thresholded there, and metrics are computed at native size, per image.
"""
from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .augment import AugmentConfig, augment_pair, resize_plain, to_tensor
from .dataset import Slice
from .metrics import LOSSES, METRIC_NAMES, mean_metrics, overlap_metrics
from .unet import UNet, UNetConfig

CSV_FIELDS = (
    ["epoch", "lr", "seconds", "cpu_seconds", "train_loss"]
    + [f"train_{m}" for m in METRIC_NAMES]
    + ["val_loss"]
    + [f"val_{m}" for m in METRIC_NAMES]
)


LR_SCHEDULES = ("plateau", "cosine")


class TrainingError(Exception):
    """Base class of the failures of a training run."""


class TrainingConfigError(TrainingError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 50
    batch_size: int = 4
    learning_rate: float = 1e-3
    loss: str = "dice"
    threshold: float = 0.5
    seed: int = 0
    threads: int = 2
    plateau_factor: float = 0.1
    plateau_patience: int = 5
    min_learning_rate: float = 1e-7
    # "plateau": ReduceLROnPlateau on the validation loss (the training loss without validation), as the shipped
    # models were trained; "cosine": cosine annealing from learning_rate to min_learning_rate over `epochs`, a
    # schedule fixed in advance, so runs of different shapes compared on one budget get the same learning rates.
    lr_schedule: str = "plateau"
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # Slices drawn each epoch from every extra pool passed to train() (0: the whole pool every epoch).
    pool_samples: tuple[int, ...] = ()
    # Keep every BatchNorm in eval mode while training (fixed statistics; scale and shift still learn): for
    # fine-tuning a network whose BatchNorms were folded away (from_onnx.py).
    freeze_batchnorm: bool = False

    def validate(self) -> None:
        if self.loss not in LOSSES:
            raise TrainingConfigError(f"configure training: loss {self.loss!r} is not one of {sorted(LOSSES)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise TrainingConfigError(f"configure training: epochs {self.epochs}, batch {self.batch_size} must be >= 1")
        if self.lr_schedule not in LR_SCHEDULES:
            raise TrainingConfigError(f"configure training: lr schedule {self.lr_schedule!r} is not one of {list(LR_SCHEDULES)}")


@dataclass(frozen=True)
class StartPoint:
    """Where a second training stage starts: weights after `epoch` epochs and the LR it ended with."""

    state_dict: dict
    epoch: int
    learning_rate: float


def start_point(run_dir: Path, epoch: int | None = None) -> StartPoint:
    """Reads `last.pt` (or the snapshot `epoch-<epoch>.pt`) and the matching row of `history.csv` of a run."""
    path = run_dir / ("last.pt" if epoch is None else f"epoch-{epoch}.pt")
    if not path.is_file():
        raise TrainingConfigError(f"continue training: checkpoint {path} does not exist")
    checkpoint = torch.load(str(path), map_location="cpu")
    with open(run_dir / "history.csv", encoding="utf-8") as handle:
        rows = {int(r["epoch"]): r for r in csv.DictReader(handle)}
    row = rows.get(int(checkpoint["epoch"]))
    if row is None:
        raise TrainingConfigError(f"continue training: {run_dir}/history.csv has no epoch {checkpoint['epoch']}")
    return StartPoint(checkpoint["state_dict"], int(checkpoint["epoch"]), float(row["lr"]))


def epoch_order(base_count: int, pool_sizes: list[int], pool_samples: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Indices into [base slices, pool 0, pool 1, ...] for one epoch, shuffled: every base slice, plus
    `pool_samples[i]` slices drawn without replacement from pool i (all of it when 0 or more than it holds)."""
    chosen = [np.arange(base_count)]
    offset = base_count
    for i, size in enumerate(pool_sizes):
        want = pool_samples[i] if i < len(pool_samples) else 0
        if want <= 0 or want >= size:
            chosen.append(offset + np.arange(size))
        else:
            chosen.append(offset + rng.choice(size, size=want, replace=False))
        offset += size
    indices = np.concatenate(chosen)
    return indices[rng.permutation(len(indices))]


@dataclass
class TrainResult:
    model: UNet
    best_epoch: int
    history: list[dict[str, float]]
    val_probabilities: dict[str, np.ndarray]  # last epoch, native size, float16, by slice name


def predict_native(model: UNet, slices: list[Slice]) -> dict[str, np.ndarray]:
    """Probability maps at each slice's native size (H x W float32), by the contract's resize there and back."""
    size = model.config.input_size
    channels = model.config.input_channels
    model.eval()
    out = {}
    with torch.no_grad():
        for s in slices:
            x, _ = to_tensor(s.image, s.mask)
            prob = model(resize_plain(x, size).repeat(1, channels, 1, 1))
            native = F.interpolate(prob, size=s.image.shape, mode="bilinear", align_corners=False)
            out[s.name] = native[0, 0].numpy()
    return out


def _validate(model: UNet, slices: list[Slice], config: TrainConfig) -> tuple[float, dict, dict]:
    loss_fn = LOSSES[config.loss]
    size = model.config.input_size
    probabilities = predict_native(model, slices)
    losses, rows = [], []
    for s in slices:
        prob = torch.from_numpy(probabilities[s.name])[None, None]
        # The loss is taken at S x S, like training; logit() of the clamped probability gives back the scores.
        logits = torch.logit(resize_plain(prob, size).clamp(1e-6, 1 - 1e-6))
        target = (resize_plain(to_tensor(s.image, s.mask)[1], size) >= 0.5).float()
        losses.append(float(loss_fn(logits, target)))
        rows.append(overlap_metrics(probabilities[s.name] >= config.threshold, s.mask))
    return float(np.mean(losses)), mean_metrics(rows), probabilities


def train(
    model_config: UNetConfig,
    train_slices: list[Slice],
    val_slices: list[Slice],
    config: TrainConfig,
    out_dir: Path,
    description: str = "train",
    snapshot_every: int = 0,
    stop_file: Path | None = None,
    start: "StartPoint | None" = None,
    pools: "list[list[Slice]] | None" = None,
) -> TrainResult:
    """Trains a fresh U-Net; writes `history.csv`, `best.pt` (best validation loss, or best training loss
    when `val_slices` is empty), `last.pt` and, when `snapshot_every` > 0, `epoch-<e>.pt` every that many
    epochs into `out_dir`. `pools` are further slice lists of which `config.pool_samples[i]` are drawn
    afresh each epoch (e.g. a few hundred of 1,600 pseudo-labelled slices, or hard negatives). Returns the model of the LAST epoch; when `stop_file` appears, the current epoch
    is the last one. With `start`, training continues a finished run (a second stage): its weights, its
    last learning rate (fresh Adam moments and plateau counter) and its epoch numbering."""
    config.validate()
    pools = pools or []
    if not train_slices and not any(pools):
        raise TrainingConfigError("start training: no training slices")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = UNet(model_config)
    first_epoch, learning_rate = 1, config.learning_rate
    if start is not None:
        model.load_state_dict(start.state_dict)
        first_epoch, learning_rate = start.epoch + 1, start.learning_rate
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    if config.lr_schedule == "cosine":
        # Stepped once per epoch: epoch e of this run trains at the cosine's value after e - 1 steps.
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs, eta_min=config.min_learning_rate)
    else:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="min", factor=config.plateau_factor, patience=config.plateau_patience,
            min_lr=config.min_learning_rate,
        )
    loss_fn = LOSSES[config.loss]
    tensors = [to_tensor(s.image, s.mask) for s in train_slices + [s for pool in pools for s in pool]]
    size, channels = model_config.input_size, model_config.input_channels
    history: list[dict[str, float]] = []
    best_loss, best_epoch = float("inf"), 0
    val_probabilities: dict[str, np.ndarray] = {}
    checkpoint = {"config": asdict(model_config), "train_config": _plain(asdict(config))}
    with open(out_dir / "history.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        bar = tqdm(range(first_epoch, first_epoch + config.epochs), desc=description, unit="epoch", mininterval=5)
        for epoch in bar:
            started, cpu_started = time.time(), time.process_time()
            model.train()
            if config.freeze_batchnorm:
                for module in model.modules():
                    if isinstance(module, torch.nn.BatchNorm2d):
                        module.eval()
            order = epoch_order(len(train_slices), [len(p) for p in pools], config.pool_samples, rng)
            epoch_losses, train_rows = [], []
            for start in range(0, len(order), config.batch_size):
                pairs = [augment_pair(*tensors[i], size, config.augment, rng) for i in order[start : start + config.batch_size]]
                if len(pairs) == 1 and len(order) > 1:
                    continue  # BatchNorm cannot learn from a batch of one; the slice comes back next epoch
                x = torch.cat([p[0] for p in pairs]).repeat(1, channels, 1, 1)
                y = torch.cat([p[1] for p in pairs])
                optimizer.zero_grad()
                logits = model.logits(x)
                loss = loss_fn(logits, y)
                loss.backward()
                optimizer.step()
                epoch_losses.append(float(loss))
                predicted = (torch.sigmoid(logits) >= config.threshold).numpy()
                train_rows += [overlap_metrics(predicted[i, 0], y[i, 0].numpy() >= 0.5) for i in range(len(pairs))]
            row = {"epoch": epoch, "lr": optimizer.param_groups[0]["lr"], "train_loss": float(np.mean(epoch_losses))}
            row["cpu_seconds"] = round(time.process_time() - cpu_started, 2)
            row.update({f"train_{k}": v for k, v in mean_metrics(train_rows).items()})
            if val_slices:
                val_loss, val_metrics, val_probabilities = _validate(model, val_slices, config)
                row["val_loss"] = val_loss
                row.update({f"val_{k}": v for k, v in val_metrics.items()})
                monitored = val_loss
            else:
                monitored = row["train_loss"]
            scheduler.step() if config.lr_schedule == "cosine" else scheduler.step(monitored)
            if monitored < best_loss:
                best_loss, best_epoch = monitored, epoch
                torch.save({**checkpoint, "epoch": epoch, "state_dict": model.state_dict()}, out_dir / "best.pt")
            if snapshot_every > 0 and epoch % snapshot_every == 0:
                torch.save({**checkpoint, "epoch": epoch, "state_dict": model.state_dict()}, out_dir / f"epoch-{epoch}.pt")
                if val_probabilities:
                    # Lets CV be summarised at any snapshot epoch, to match the final run's epoch count.
                    np.savez_compressed(
                        out_dir / f"val-probabilities-epoch-{epoch}.npz",
                        **{k: v.astype(np.float16) for k, v in val_probabilities.items()},
                    )
            row["seconds"] = round(time.time() - started, 2)
            writer.writerow(row)
            handle.flush()
            history.append(row)
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", val_dice=f"{row.get('val_dice', float('nan')):.3f}")
            if stop_file is not None and stop_file.exists():
                break  # asked to end early (a CPU budget ran out): finish as if `epochs` were this epoch
    last_epoch = int(history[-1]["epoch"])
    torch.save({**checkpoint, "epoch": last_epoch, "state_dict": model.state_dict()}, out_dir / "last.pt")
    return TrainResult(model, best_epoch, history, {k: v.astype(np.float16) for k, v in val_probabilities.items()})


def _plain(value):
    """asdict() leaves tuples; make the config JSON/pickle friendly and stable."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value

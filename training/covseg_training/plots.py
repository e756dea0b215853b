"""Training curves to PNG (matplotlib, Agg backend: no display on the training machine)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before pyplot loads)


def plot_histories(histories: dict[str, list[dict[str, float]]], path: Path, title: str) -> None:
    """One line per run: loss (train dashed, val solid) and Dice (train dashed, val solid) against epoch."""
    figure, (loss_axis, dice_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    for index, (name, history) in enumerate(histories.items()):
        colour = f"C{index}"
        epochs = [row["epoch"] for row in history]
        loss_axis.plot(epochs, [row["train_loss"] for row in history], "--", color=colour, alpha=0.6)
        dice_axis.plot(epochs, [row["train_dice"] for row in history], "--", color=colour, alpha=0.6)
        if "val_loss" in history[0]:
            loss_axis.plot(epochs, [row["val_loss"] for row in history], "-", color=colour, label=name)
            dice_axis.plot(epochs, [row["val_dice"] for row in history], "-", color=colour, label=name)
        else:
            loss_axis.plot([], [], "--", color=colour, label=f"{name} (train only)")
    loss_axis.set(xlabel="epoch", ylabel="loss", title="loss (dashed: train, solid: validation)")
    dice_axis.set(xlabel="epoch", ylabel="Dice (mean over images)", title="Dice", ylim=(0, 1))
    loss_axis.legend(fontsize=8)
    dice_axis.grid(alpha=0.3)
    loss_axis.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)

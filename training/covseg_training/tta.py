"""Test-time augmentation baked into the network: the mean of the prediction and its horizontal mirror.

`HFlipTTA(net)` returns `(net(x) + flip(net(flip(x))) ) / 2`, flipping the width axis. It keeps the wrapped
network's `config`, so every caller of a `UNet` (CV prediction, the CT check, the ONNX export) takes it as
is, and the exported graph carries the TTA inside: the server runs it without knowing.

`torch.flip` exports (torch 1.13, opset 13) as an ONNX `Slice` with step -1 on the width axis.
"""
from __future__ import annotations

import torch
from torch import nn

from .unet import UNet

TTA_CHOICES = ("none", "hflip", "vflip", "flip4", "d4")


def _flip_width(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, [3])


class HFlipTTA(nn.Module):
    def __init__(self, net: UNet) -> None:
        super().__init__()
        self.net = net
        self.config = net.config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.net(x) + _flip_width(self.net(_flip_width(x)))) / 2


class DihedralTTA(nn.Module):
    """The mean over `views` of the prediction of a transformed input, transformed back. A view is (k, mirror):
    rotate by k quarter turns (height-width plane), then mirror the width axis when `mirror`; training's
    augmentation already draws these (right-angle rotations and the horizontal flip)."""

    def __init__(self, net: UNet, views: tuple[tuple[int, bool], ...]) -> None:
        super().__init__()
        if not views:
            raise ValueError("test-time augmentation needs at least one view")
        self.net = net
        self.views = views
        self.config = net.config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = None
        for k, mirror in self.views:
            view = torch.rot90(x, k, [2, 3]) if k else x
            view = _flip_width(view) if mirror else view
            y = self.net(view)
            y = _flip_width(y) if mirror else y
            y = torch.rot90(y, -k, [2, 3]) if k else y
            total = y if total is None else total + y
        return total / len(self.views)


# vflip: the vertical mirror and its horizontal mirror (a half turn of the horizontal mirror), so that
# mean(hflip, vflip) = flip4, the four mirror images; d4: every rotation and mirror (8 passes; evaluation only).
_VIEWS = {
    "vflip": ((2, True), (2, False)),
    "flip4": ((0, False), (0, True), (2, True), (2, False)),
    "d4": tuple((k, m) for k in range(4) for m in (False, True)),
}


def with_tta(net: UNet, tta: str) -> nn.Module:
    """The network with test-time augmentation `tta` (one of TTA_CHOICES)."""
    if tta == "none":
        return net
    if tta == "hflip":
        return HFlipTTA(net)
    if tta in _VIEWS:
        return DihedralTTA(net, _VIEWS[tta])
    raise ValueError(f"test-time augmentation {tta!r} is not one of {TTA_CHOICES}")

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

TTA_CHOICES = ("none", "hflip")


def _flip_width(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, [3])


class HFlipTTA(nn.Module):
    def __init__(self, net: UNet) -> None:
        super().__init__()
        self.net = net
        self.config = net.config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.net(x) + _flip_width(self.net(_flip_width(x)))) / 2


def with_tta(net: UNet, tta: str) -> nn.Module:
    """The network with test-time augmentation `tta` ("none" or "hflip")."""
    if tta == "none":
        return net
    if tta == "hflip":
        return HFlipTTA(net)
    raise ValueError(f"test-time augmentation {tta!r} is not one of {TTA_CHOICES}")

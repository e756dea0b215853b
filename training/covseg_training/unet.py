"""The U-Net of the original prototype (Ronneberger et al. 2015), with its size made configurable.

Conv blocks are Conv3x3 -> BatchNorm -> ReLU twice; each encoder level halves the resolution with 2x2
max-pooling; each decoder level doubles it with a 2x2 stride-2 transposed convolution and concatenates the
skip connection; a 1x1 convolution and a sigmoid give the probability map.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    """Shape of the network. The prototype was base_width=64, depth=4 (encoders 64..512, bottleneck 1024)."""

    base_width: int = 64
    depth: int = 4
    input_channels: int = 1
    input_size: int = 256

    def validate(self) -> None:
        if self.base_width < 1 or self.depth < 1 or self.input_channels not in (1, 3):
            raise ValueError(f"invalid U-Net config {asdict(self)}: base_width>=1, depth>=1, channels 1 or 3")
        # Every pooling halves the side, and the decoder must land back on the same sizes.
        if self.input_size % (2**self.depth) != 0:
            raise ValueError(f"invalid U-Net config: input_size {self.input_size} is not divisible by 2^{self.depth}")


class ConvBlock(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """Maps N x C x S x S float32 in [0, 1] to N x 1 x S x S sigmoid probabilities."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config
        widths = [config.base_width * 2**i for i in range(config.depth)]
        self.encoders = nn.ModuleList()
        in_channels = config.input_channels
        for width in widths:
            self.encoders.append(ConvBlock(in_channels, width))
            in_channels = width
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = ConvBlock(widths[-1], widths[-1] * 2)
        self.upsamplers = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for width in reversed(widths):
            self.upsamplers.append(nn.ConvTranspose2d(width * 2, width, 2, stride=2))
            self.decoders.append(ConvBlock(width * 2, width))
        self.head = nn.Conv2d(widths[0], 1, 1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-sigmoid scores; training uses these for a numerically stable BCE."""
        return self.head(self.decoder_features(x))

    def decoder_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last decoder block's output (N x base_width x S x S, after its ReLU): what `head` reads, and
        what the consolidation head of a multi-class model reads too (consolidation.py)."""
        return self.decoder_outputs(x)[-1]

    def decoder_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every decoder block's output, coarsest first (S / 2^(depth-1) ... S); the last one is `decoder_features`."""
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        outputs = []
        for upsample, decoder, skip in zip(self.upsamplers, self.decoders, reversed(skips)):
            x = decoder(torch.cat([upsample(x), skip], dim=1))
            outputs.append(x)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(x))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def forward_gflops(config: UNetConfig) -> float:
    """Multiply-accumulates x 2 of one forward pass on one S x S slice, in GFLOPs (convolutions only)."""
    flops = 0.0
    side = config.input_size
    widths = [config.base_width * 2**i for i in range(config.depth)]
    in_channels = config.input_channels
    for width in widths:
        flops += 2 * side * side * 9 * (in_channels * width + width * width)
        in_channels = width
        side //= 2
    flops += 2 * side * side * 9 * (widths[-1] * widths[-1] * 2 + widths[-1] * 2 * widths[-1] * 2)
    for width in reversed(widths):
        side *= 2
        flops += 2 * side * side * (width * 2 * width)  # 2x2 stride-2 transposed conv: 1 MAC per output per in-channel
        flops += 2 * side * side * 9 * (width * 2 * width + width * width)
    flops += 2 * side * side * widths[0]
    return flops / 1e9

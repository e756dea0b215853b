"""Augmentation of framed 8-bit CT slices, applied on the fly in one affine resampling to S x S.

Why these: the served inputs are DICOM CT windowed at L=-600/W=1500 and cropped to the lung bounding box
(CONTRACTS.md section 1), while the training JPEGs come with their own windows, crops and orientations
(several are rotated by 90 degrees). So the model must not depend on the exact grey levels (contrast,
brightness, gamma, noise jitter), on where the frame edges fall (scale, aspect, translation, crop jitter) or
on orientation (flips, right-angle and small rotations).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    flip_probability: float = 0.5
    right_angle_probability: float = 0.5
    max_rotation_degrees: float = 15.0
    zoom_range: tuple[float, float] = (0.85, 1.35)  # > 1 crops into the frame, < 1 shows a wider field
    max_aspect_jitter: float = 0.15
    max_shift_fraction: float = 0.1
    contrast_range: tuple[float, float] = (0.7, 1.3)
    brightness_range: tuple[float, float] = (-0.12, 0.12)  # in units of the full 0..1 range
    gamma_range: tuple[float, float] = (0.7, 1.5)
    noise_sd_max: float = 0.03


def to_tensor(image: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 H x W image and bool H x W mask to 1 x 1 x H x W float32 tensors (image scaled by 1/255)."""
    x = torch.from_numpy(image.astype(np.float32) / 255.0)[None, None]
    y = torch.from_numpy(mask.astype(np.float32))[None, None]
    return x, y


def resize_plain(x: torch.Tensor, size: int) -> torch.Tensor:
    """The contract's resize (step 3): bilinear, align_corners=False, no antialiasing."""
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def _random_affine(config: AugmentConfig, rng: np.random.Generator) -> torch.Tensor:
    """2 x 3 matrix mapping output normalised coordinates to input ones (grid_sample convention)."""
    angle = math.radians(rng.uniform(-config.max_rotation_degrees, config.max_rotation_degrees))
    if rng.random() < config.right_angle_probability:
        angle += math.pi / 2 * int(rng.integers(1, 4))
    zoom = math.exp(rng.uniform(math.log(config.zoom_range[0]), math.log(config.zoom_range[1])))
    aspect = math.exp(rng.uniform(-config.max_aspect_jitter, config.max_aspect_jitter))
    sx, sy = 1.0 / (zoom * aspect), aspect / zoom
    flip = -1.0 if rng.random() < config.flip_probability else 1.0
    cos, sin = math.cos(angle), math.sin(angle)
    tx, ty = rng.uniform(-1, 1, size=2) * 2 * config.max_shift_fraction
    return torch.tensor(
        [[cos * sx * flip, -sin * sy, tx], [sin * sx * flip, cos * sy, ty]], dtype=torch.float32
    )


def augment_pair(
    image: torch.Tensor, mask: torch.Tensor, size: int, config: AugmentConfig, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random geometric + intensity augmentation of one 1 x 1 x H x W pair, resampled straight to S x S.

    Returns (image 1 x 1 x S x S in [0, 1], mask 1 x 1 x S x S in {0, 1}); the inputs are not modified.
    """
    theta = _random_affine(config, rng)[None]
    grid = F.affine_grid(theta, [1, 1, size, size], align_corners=False)
    # "border" repeats the frame edge where a rotation or zoom-out looks outside it, like a wider crop would.
    x = F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)
    y = F.grid_sample(mask, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    y = (y >= 0.5).float()
    gamma = math.exp(rng.uniform(math.log(config.gamma_range[0]), math.log(config.gamma_range[1])))
    x = x.clamp(0, 1) ** gamma
    contrast = rng.uniform(*config.contrast_range)
    brightness = rng.uniform(*config.brightness_range)
    x = (x - 0.5) * contrast + 0.5 + brightness
    noise_sd = rng.uniform(0, config.noise_sd_max)
    if noise_sd > 0:
        generator = torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))
        x = x + torch.randn(x.shape, generator=generator) * noise_sd
    # Served inputs are 8-bit, so keep the augmented image inside the same 0..1 range.
    return x.clamp(0, 1), y

"""The consolidation head of a multi-class covseg model (issue 12 item 4; the multi-class contract).

A multi-class model is the binary network, **frozen**, plus a small head that reads the binary network's last
decoder features (and the input image) and predicts the probability that a pixel is consolidation:

    prob          = sigmoid(net.head(f(x)))                       # the binary output, unchanged
    consolidation = sigmoid(ConsolidationHead(f(x), x))           # the new output

both with the horizontal-flip TTA of the binary model (`(y(x) + flip(y(flip(x)))) / 2`). Because the binary
network is frozen and its graph is copied untouched into the export (export_multiclass.py), `prob` is the
binary model's output bit for bit, so the infection union and every binary figure stay what they were.

Training never runs the frozen network again: `build_feature_cache` computes its features once per slice and
view (the plain serving input, its mirror, and a few augmented views), and `train_head` trains only the head on
random crops of that cache. One head costs seconds to a minute of one CPU core, so a nested CV is affordable.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .augment import AugmentConfig, augment_pair, resize_plain
from .metrics import bce_dice_loss
from .unet import UNet

BACKGROUND, GGO, CONSOLIDATION = 0, 1, 2


class ConsolidationHead(nn.Module):
    """(features N x F x S x S, image N x C x S x S, *context) -> consolidation logits N x 1 x S x S.

    Two 3x3 convolutions with ReLU (the second dilated by `dilation`) and a 1x1 convolution. The image is an
    input too because density (ground glass lets vessels show, consolidation hides them) is what separates
    the two classes, and the binary features were never asked to keep it. `context_channels` lists coarser
    decoder outputs (S/8, S/4, S/2 for a depth-4 U-Net, coarsest first) that the head also reads: each is
    reduced by a 1x1 convolution + ReLU to `context_width` channels and resized bilinearly to S, so the head
    sees a whole lesion and its surroundings rather than a 5x5 window. `image_pools` lists box sizes (odd) of
    local means of the image the head also reads (stride 1, edges averaged over the pixels inside): the
    density of a pixel's surroundings at a few scales, which a 5x5 window cannot see.
    """

    def __init__(self, feature_channels: int, image_channels: int = 1, hidden: int = 16,
                 context_channels: tuple[int, ...] = (), context_width: int = 8, dilation: int = 1,
                 image_pools: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.feature_channels = feature_channels
        self.image_channels = image_channels
        self.hidden = hidden
        self.context_channels = tuple(context_channels)
        self.context_width = context_width
        self.dilation = dilation
        if any(k < 3 or k % 2 == 0 for k in image_pools):
            raise ValueError(f"consolidation head: image pools must be odd sizes >= 3, got {image_pools}")
        self.image_pools = tuple(image_pools)
        self.context = nn.ModuleList(nn.Sequential(nn.Conv2d(c, context_width, 1), nn.ReLU(inplace=True))
                                     for c in self.context_channels)
        inputs = (feature_channels + image_channels * (1 + len(self.image_pools))
                  + context_width * len(self.context_channels))
        self.layers = nn.Sequential(
            nn.Conv2d(inputs, hidden, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, padding=dilation, dilation=dilation),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 1, 1),
        )

    def forward(self, features: torch.Tensor, image: torch.Tensor, *context: torch.Tensor) -> torch.Tensor:
        if len(context) != len(self.context):
            raise ValueError(f"consolidation head: {len(context)} context maps given, {len(self.context)} expected")
        size = features.shape[-2:]
        reduced = [F.interpolate(layer(c), size=size, mode="bilinear", align_corners=False)
                   for layer, c in zip(self.context, context)]
        pooled = [F.avg_pool2d(image, k, stride=1, padding=k // 2, count_include_pad=False) for k in self.image_pools]
        return self.layers(torch.cat([features, image, *pooled, *reduced], dim=1))

    def describe(self) -> dict:
        return {"type": "conv3x3-relu-conv3x3-relu-conv1x1", "feature_channels": self.feature_channels,
                "image_channels": self.image_channels, "hidden": self.hidden,
                "context_channels": list(self.context_channels), "context_width": self.context_width,
                "dilation": self.dilation, "image_pools": list(self.image_pools)}

    @classmethod
    def from_description(cls, d: dict) -> "ConsolidationHead":
        return cls(d["feature_channels"], d["image_channels"], d["hidden"], tuple(d.get("context_channels", ())),
                   d.get("context_width", 8), d.get("dilation", 1), tuple(d.get("image_pools", ())))


def _flip(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, [3])


class HeadTTA(nn.Module):
    """The head's share of the exported graph: it reads the frozen network's features of the input and of its
    mirror (both already in the binary graph; the context maps of the plain pass, then those of the mirrored
    pass) and returns the flip-TTA consolidation probability."""

    def __init__(self, head: ConsolidationHead) -> None:
        super().__init__()
        self.head = head

    def forward(self, features: torch.Tensor, image: torch.Tensor, features_mirrored: torch.Tensor,
                image_mirrored: torch.Tensor, *context: torch.Tensor) -> torch.Tensor:
        levels = len(context) // 2
        plain = torch.sigmoid(self.head(features, image, *context[:levels]))
        mirrored = torch.sigmoid(self.head(features_mirrored, image_mirrored, *context[levels:]))
        return (plain + _flip(mirrored)) / 2


class MultiClassNet(nn.Module):
    """PyTorch reference of the exported two-output graph: x -> (prob, consolidation), flip TTA on both."""

    def __init__(self, net: UNet, head: ConsolidationHead) -> None:
        super().__init__()
        self.net = net
        self.head = head
        self.head_tta = HeadTTA(head)
        self.config = net.config

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Same operations in the same order as tta.HFlipTTA(net), so `prob` is that model's output exactly.
        mirrored_input = _flip(x)
        outputs = self.net.decoder_outputs(x)
        outputs_mirrored = self.net.decoder_outputs(mirrored_input)
        features, features_mirrored = outputs[-1], outputs_mirrored[-1]
        prob = (torch.sigmoid(self.net.head(features)) + _flip(torch.sigmoid(self.net.head(features_mirrored)))) / 2
        levels = len(self.head.context_channels)
        context = context_levels(outputs, levels) + context_levels(outputs_mirrored, levels)
        return prob, self.head_tta(features, x, features_mirrored, mirrored_input, *context)


def context_levels(outputs: list[torch.Tensor], levels: int) -> list[torch.Tensor]:
    """The `levels` decoder outputs just coarser than the last one, coarsest first."""
    return outputs[len(outputs) - 1 - levels:len(outputs) - 1] if levels else []


@dataclass
class FeatureCache:
    """Frozen-network features of every slice, computed once. S is the model's input size.

    - `train_inputs` float16 N x V x (F + C) x S x S: features then image, view 0 the plain serving input,
      view 1 its mirror, views 2.. random augmentations; `train_labels` uint8 N x V x S x S (0/1/2).
    - `eval_inputs` float32 N x 2 x (F + C) x S x S: views 0 and 1 exactly, for scoring the flip-TTA output.
    - `train_context` / `eval_context`: the same for each coarser decoder output the head reads (coarsest
      first; empty for a head without context).
    - `prob` float32 N x S x S: the binary model's flip-TTA probability (the `prob` output) at S.
    """

    names: list[str]
    feature_channels: int
    train_inputs: torch.Tensor
    train_labels: torch.Tensor
    eval_inputs: torch.Tensor
    prob: torch.Tensor
    train_context: list[torch.Tensor] = field(default_factory=list)
    eval_context: list[torch.Tensor] = field(default_factory=list)

    @property
    def context_channels(self) -> tuple[int, ...]:
        return tuple(int(c.shape[2]) for c in self.train_context)


def _label_planes(labels: np.ndarray) -> torch.Tensor:
    """uint8 H x W labels -> 1 x 2 x H x W float (infection union, consolidation) for resampling."""
    union = labels > 0
    return torch.from_numpy(np.stack([union, labels == CONSOLIDATION]).astype(np.float32))[None]


def _labels_from_planes(planes: torch.Tensor) -> torch.Tensor:
    """1 x 2 x S x S resampled planes -> S x S uint8 labels, each plane decided at 0.5 as the masks are."""
    union = planes[0, 0] >= 0.5
    consolidation = planes[0, 1] >= 0.5
    return (union.to(torch.uint8) + (union & consolidation).to(torch.uint8))


def build_feature_cache(net: UNet, slices: list, augmented_views: int, seed: int = 0,
                        augment: AugmentConfig | None = None, levels: int = 0) -> FeatureCache:
    """Runs the frozen `net` once per slice and view. `slices` carry `name`, `image` (uint8 H x W) and
    `labels` (uint8 H x W, 0 background / 1 GGO / 2 consolidation); `levels` coarser decoder outputs
    are kept for a head with context."""
    size = net.config.input_size
    channels = net.config.input_channels
    rng = np.random.default_rng(seed)
    config = augment or AugmentConfig()
    net.eval()
    train_inputs, train_labels, eval_inputs, probs = [], [], [], []
    train_context, eval_context = [[] for _ in range(levels)], [[] for _ in range(levels)]
    with torch.no_grad():
        for s in slices:
            image = torch.from_numpy(s.image.astype(np.float32) / 255.0)[None, None]
            planes = _label_planes(s.labels)
            plain = resize_plain(image, size)
            plain_labels = _labels_from_planes(resize_plain(planes, size))
            pairs = [(plain, plain_labels), (_flip(plain), _flip(plain_labels[None, None])[0, 0])]
            for _ in range(augmented_views):
                x, y = augment_pair(image, planes, size, config, rng)
                pairs.append((x, _labels_from_planes(y)))
            batch = torch.cat([x for x, _ in pairs]).repeat(1, channels, 1, 1)
            outputs = net.decoder_outputs(batch)
            features = outputs[-1]
            stacked = torch.cat([features, batch], dim=1)
            train_inputs.append(stacked.half())
            train_labels.append(torch.stack([y for _, y in pairs]))
            eval_inputs.append(stacked[:2].clone())
            for level, c in enumerate(context_levels(outputs, levels)):
                train_context[level].append(c.half())
                eval_context[level].append(c[:2].clone())
            head_prob = torch.sigmoid(net.head(features[:2]))
            probs.append(((head_prob[0:1] + _flip(head_prob[1:2])) / 2)[0, 0])
    return FeatureCache([s.name for s in slices], int(features.shape[1]), torch.stack(train_inputs),
                        torch.stack(train_labels), torch.stack(eval_inputs), torch.stack(probs),
                        [torch.stack(c) for c in train_context], [torch.stack(c) for c in eval_context])


@dataclass(frozen=True)
class HeadTrainConfig:
    """Fixed before any figure was seen: Adam, BCE + soft Dice on consolidation, random crops of the cache."""

    hidden: int = 16
    steps: int = 500
    batch: int = 16
    crop: int = 80
    learning_rate: float = 1e-3
    seed: int = 0
    context_width: int = 8
    dilation: int = 1
    # "all" (1.3.0): the loss over every pixel of the crop, so the head must also learn that non-infection is not
    # consolidation. "infection": only over the pixels the doctors marked as infection (GGO or consolidation),
    # where the head's output is read (the union decides infection; the head only splits it).
    loss_on: str = "all"
    # Box sizes of the local image means the head also reads (ConsolidationHead.image_pools); () in 1.3.0.
    image_pools: tuple[int, ...] = ()


def masked_bce_dice_loss(logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """BCE + soft Dice over the pixels where `mask` is 1 only (all three N x 1 x H x W); 0 when none is."""
    weight = mask.float()
    pixels = weight.sum()
    if pixels == 0:
        return logits.sum() * 0
    bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="sum") / pixels
    p = torch.sigmoid(logits) * weight
    t = target * weight
    dice = 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)
    return bce + dice


def train_head(cache: FeatureCache, indices: list[int], config: HeadTrainConfig,
               device: str | torch.device = "cpu") -> ConsolidationHead:
    """Trains a fresh head on the cached views of the slices `indices` (positions in the cache). A head without
    context trains on random crops; one with context on whole views (its context maps are not cropped)."""
    if not indices:
        raise ValueError("train the consolidation head: no training slices")
    if config.loss_on not in ("all", "infection"):
        raise ValueError(f"train the consolidation head: loss_on must be all or infection, got {config.loss_on}")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    image_channels = cache.train_inputs.shape[2] - cache.feature_channels
    head = ConsolidationHead(cache.feature_channels, image_channels, config.hidden, cache.context_channels,
                             config.context_width, config.dilation, config.image_pools).to(device)
    optimiser = torch.optim.Adam(head.parameters(), lr=config.learning_rate)
    views = cache.train_inputs.shape[1]
    size = cache.train_inputs.shape[-1]
    crop = size if cache.train_context else min(config.crop, size)
    f = cache.feature_channels
    head.train()
    for _ in range(config.steps):
        picks = rng.choice(indices, size=config.batch)
        view = rng.integers(0, views, size=config.batch)
        top = rng.integers(0, size - crop + 1, size=config.batch)
        left = rng.integers(0, size - crop + 1, size=config.batch)
        x = torch.stack([cache.train_inputs[i, v, :, t:t + crop, l:l + crop]
                         for i, v, t, l in zip(picks, view, top, left)]).float().to(device)
        y = torch.stack([cache.train_labels[i, v, t:t + crop, l:l + crop]
                         for i, v, t, l in zip(picks, view, top, left)])[:, None].to(device)
        context = [c[picks, view].float().to(device) for c in cache.train_context]
        logits = head(x[:, :f], x[:, f:], *context)
        target = (y == CONSOLIDATION).float()
        loss = (bce_dice_loss(logits, target) if config.loss_on == "all"
                else masked_bce_dice_loss(logits, target, y > BACKGROUND))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return head.eval().cpu()


def predict_consolidation(head: ConsolidationHead, cache: FeatureCache, indices: list[int]) -> torch.Tensor:
    """Flip-TTA consolidation probability at S x S (float32 n x S x S) for the cached slices `indices`,
    computed from the exact float32 features of views 0 and 1, as the exported graph computes it."""
    head_tta = HeadTTA(head).eval()
    f = cache.feature_channels
    with torch.no_grad():
        x = cache.eval_inputs[indices]
        context = [c[indices, 0] for c in cache.eval_context] + [c[indices, 1] for c in cache.eval_context]
        out = head_tta(x[:, 0, :f], x[:, 0, f:], x[:, 1, :f], x[:, 1, f:], *context)
    return out[:, 0]

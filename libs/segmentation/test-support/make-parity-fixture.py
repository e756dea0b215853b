"""Reference output of the PNG/JPEG path (docs/CONTRACTS.md §1) computed with PyTorch, the way
training/ does it, for the tiny hand-weighted model of make-tiny-models.py. The TypeScript test
(src/pipeline/segment-gray-image.parity.spec.ts) runs segmentGrayImage + onnxruntime on the same
pixels and must agree, so serving cannot drift from training's resize/normalise/threshold semantics.

Run:  /usr/bin/python3 libs/segmentation/test-support/make-parity-fixture.py
Writes parity-image.u8 (H x W uint8), parity-prob.f32 (H x W float32 little-endian), parity.json.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
H, W, S = 73, 97, 64
GAIN, LEVEL = 40.0, 0.6


def main():
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:H, 0:W]
    image = 60 + 0.8 * xx + 10 * rng.standard_normal((H, W))
    image[(xx - 30) ** 2 + (yy - 35) ** 2 <= 14 ** 2] += 150
    image[(xx - 75) ** 2 + (yy - 20) ** 2 <= 6 ** 2] += 120
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)

    conv = torch.nn.Conv2d(1, 1, 3, padding=1, bias=True, padding_mode="replicate")
    with torch.no_grad():
        conv.weight.fill_(GAIN / 9.0)
        conv.bias.fill_(-GAIN * LEVEL)
        x = torch.from_numpy(image.astype(np.float32) / 255.0)[None, None]
        x = F.interpolate(x, size=(S, S), mode="bilinear", align_corners=False)
        prob = torch.sigmoid(conv(x))
        prob = F.interpolate(prob, size=(H, W), mode="bilinear", align_corners=False)[0, 0].numpy().astype("<f4")

    image.tofile(os.path.join(HERE, "parity-image.u8"))
    prob.tofile(os.path.join(HERE, "parity-prob.f32"))
    with open(os.path.join(HERE, "parity.json"), "w") as f:
        json.dump({"width": W, "height": H, "inputSize": S, "maskPixels": int((prob >= 0.5).sum())}, f)
        f.write("\n")
    print("mask pixels", int((prob >= 0.5).sum()), "of", H * W)


if __name__ == "__main__":
    main()

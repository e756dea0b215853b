"""Export tiny, hand-weighted ONNX models that honour docs/CONTRACTS.md §1-2.

They let the libs/segmentation tests run without the shipped (trained) model. The weights are set by
hand, not learned, so every output is predictable:

    prob = sigmoid(GAIN * (mean3x3(x) - LEVEL))

i.e. "a pixel is infected when its 3x3 neighbourhood is brighter than LEVEL" (x is the unit-normalised
8-bit grey value). Tests can therefore draw bright blobs and know what the model must answer.

Run:  /usr/bin/python3 libs/segmentation/test-support/make-tiny-models.py
Outputs (a few KB each) next to this script:
  tiny-covseg.onnx               1 channel, input_size 64
  tiny-covseg-3ch.onnx           3 channels, input_size 32
  tiny-covseg-no-threshold.onnx  like tiny-covseg.onnx but without the covseg.threshold key
  tiny-covseg-multiclass.onnx    1 channel, input_size 64, two outputs (docs/CONTRACTS.md §2, multi-class):
                                 prob as above and consolidation = sigmoid(40 * (mean3x3(x) - 0.8)),
                                 covseg.classes = ggo,consolidation, covseg.consolidation_threshold = 0.5;
                                 so a 3x3 mean in [0.6, 0.8) is GGO (label 1) and >= 0.8 consolidation (2)
"""
import os

import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
GAIN = 40.0
LEVEL = 0.6
CONSOLIDATION_LEVEL = 0.8


class BrightBlob(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, 1, kernel_size=3, padding=1, bias=True, padding_mode="replicate")
        with torch.no_grad():
            self.conv.weight.fill_(GAIN / (9.0 * channels))
            self.conv.bias.fill_(-GAIN * LEVEL)

    def forward(self, x):
        return torch.sigmoid(self.conv(x))


class BrightBlobTwoClass(nn.Module):
    """prob as BrightBlob; consolidation: the same 3x3 mean against a higher level."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, 2, kernel_size=3, padding=1, bias=True, padding_mode="replicate")
        with torch.no_grad():
            self.conv.weight.fill_(GAIN / (9.0 * channels))
            self.conv.bias[0] = -GAIN * LEVEL
            self.conv.bias[1] = -GAIN * CONSOLIDATION_LEVEL

    def forward(self, x):
        out = torch.sigmoid(self.conv(x))
        return out[:, 0:1], out[:, 1:2]


def export(path: str, channels: int, size: int, drop_keys=(), multiclass=False, extra=None):
    model = (BrightBlobTwoClass(channels) if multiclass else BrightBlob(channels)).eval()
    dummy = torch.zeros(2, channels, size, size)
    outputs = ["prob", "consolidation"] if multiclass else ["prob"]
    torch.onnx.export(
        model,
        dummy,
        path,
        input_names=["input"],
        output_names=outputs,
        dynamic_axes={"input": {0: "N"}, **{name: {0: "N"} for name in outputs}},
        opset_version=13,
    )
    proto = onnx.load(path)
    props = {
        "covseg.name": "tiny-bright-blob",
        "covseg.version": "0.0.1-test",
        "covseg.input_size": str(size),
        "covseg.input_channels": str(channels),
        "covseg.window_center": "-600",
        "covseg.window_width": "1500",
        "covseg.framing": "lung-bbox",
        "covseg.frame_margin": "0.05",
        "covseg.min_frame_mm": "160",
        "covseg.min_lung_area_mm2": "500",
        "covseg.normalization": "unit",
        "covseg.threshold": "0.5",
        "covseg.training_data": "none: hand-set weights, prob = sigmoid(40 * (mean3x3(x) - 0.6))",
        "covseg.cv_metrics": "{}",
        "covseg.trained": "untrained",
    }
    if multiclass:
        props["covseg.name"] = "tiny-bright-blob-2class"
        props["covseg.training_data"] += "; consolidation = sigmoid(40 * (mean3x3(x) - 0.8))"
    props.update(extra or {})
    for key in drop_keys:
        del props[key]
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key = key
        entry.value = value
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    export(os.path.join(HERE, "tiny-covseg.onnx"), 1, 64)
    export(os.path.join(HERE, "tiny-covseg-3ch.onnx"), 3, 32)
    export(os.path.join(HERE, "tiny-covseg-no-threshold.onnx"), 1, 64, drop_keys=("covseg.threshold",))
    export(
        os.path.join(HERE, "tiny-covseg-multiclass.onnx"),
        1,
        64,
        multiclass=True,
        extra={"covseg.classes": "ggo,consolidation", "covseg.consolidation_threshold": "0.5"},
    )

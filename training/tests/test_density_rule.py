"""The density rule for consolidation (issue 12 item 4's baseline): box means as ONNX AveragePool computes them,
the rule recovering a dense class, and a nested choice that never reads the scored fold's labels."""
import json
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from covseg_training import density_rule
from covseg_training.consolidation import CONSOLIDATION
from covseg_training.dataset import k_fold_indices
from covseg_training.density_rule import box_mean, nested_cv
from covseg_training.export_onnx import build_metadata, export_onnx
from covseg_training.tta import HFlipTTA
from covseg_training.unet import UNet
from tests.test_consolidation import TINY, synthetic_slices, write_slices


def inputs(slices, size=32):
    """Each slice's serving input at size x size (the contract's bilinear resize) and a union probability that
    covers every labelled pixel exactly."""
    images, probs = [], []
    for s in slices:
        def resized(a):
            return F.interpolate(torch.from_numpy(a.astype(np.float32))[None, None], size=(size, size),
                                 mode="bilinear", align_corners=False)[0, 0]
        images.append(resized(s.image / 255.0))
        probs.append(resized((s.labels > 0).astype(np.float32)))
    return images, probs


class BoxMeanTest(unittest.TestCase):
    def test_interior_pixels_average_their_box_and_edges_only_the_pixels_inside(self):
        x = torch.arange(25, dtype=torch.float32).reshape(5, 5)
        m = box_mean(x, 3)
        self.assertAlmostEqual(float(m[2, 2]), float(x[1:4, 1:4].mean()), places=5)
        self.assertAlmostEqual(float(m[0, 0]), float(x[0:2, 0:2].mean()), places=5)
        self.assertTrue(torch.equal(box_mean(x, 1), x))


class NestedRuleTest(unittest.TestCase):
    def test_the_rule_finds_the_dense_class_in_folds_it_never_chose_on(self):
        slices = synthetic_slices(10, seed=3)
        images, probs = inputs(slices)
        result = nested_cv(probs, images, [s.labels for s in slices], [s.name for s in slices], 0.5)
        self.assertEqual(len(result["per_image"]), 10)
        # Ground glass 110/255 = 0.43 and consolidation 220/255 = 0.86: every fold's threshold lies between them.
        for pair in result["chosen"]:
            self.assertGreater(pair["threshold"], 0.43)
            self.assertLess(pair["threshold"], 0.86)
        self.assertGreater(result["summary"]["consolidation_dice"]["mean"], 0.8)
        self.assertGreater(result["summary"]["ggo_dice"]["mean"], 0.75)

    def test_a_folds_pair_never_depends_on_that_folds_own_labels(self):
        slices = synthetic_slices(10, seed=2)
        held = set(k_fold_indices(len(slices), 2, 0)[0][1])
        labels = [s.labels for s in slices]
        # Fold 0 (half the slices) relabelled: all its infection is consolidation. A choice made on every slice
        # moves (checked first); fold 0's own pair, chosen on fold 1 alone, must not, and its scores must.
        altered = [np.where(lab > 0, CONSOLIDATION, 0).astype(np.uint8) if i in held else lab
                   for i, lab in enumerate(labels)]
        images, probs = inputs(slices)
        names = [s.name for s in slices]
        first, second = (nested_cv(probs, images, lab, names, 0.5, folds=2) for lab in (labels, altered))
        self.assertNotEqual(first["final"]["threshold"], second["final"]["threshold"])
        self.assertEqual(first["chosen"][0], second["chosen"][0])
        scored = [[r["consolidation_dice"] for r in run["per_image"] if r["fold"] == 0] for run in (first, second)]
        self.assertNotEqual(scored[0], scored[1])

    def test_the_command_line_reads_a_binary_onnx_and_writes_the_cv(self):
        torch.manual_seed(0)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_slices(root / "data", synthetic_slices(10, seed=4))
            onnx_path = root / "binary.onnx"
            export_onnx(HFlipTTA(UNet(TINY).eval()), onnx_path,
                        build_metadata(TINY, trained=True, threshold=0.5, version="0.0.1", tta="hflip"))
            density_rule.main(["--onnx", str(onnx_path), "--images", str(root / "data/images"),
                               "--masks", str(root / "data/masks"), "--out", str(root / "out")])
            written = json.loads((root / "out/density-cv.json").read_text())
            self.assertEqual(written["origin_version"], "0.0.1")
            self.assertEqual([p["fold"] for p in written["chosen"]], [0, 1, 2, 3, 4])
            self.assertEqual(len(written["per_image"]), 10)


if __name__ == "__main__":
    unittest.main()

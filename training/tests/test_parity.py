import tempfile
import unittest
from pathlib import Path

import torch

from covseg_training.export_onnx import build_metadata, export_onnx, write_parity_sample
from covseg_training.parity import ParityError, check_parity
from covseg_training.unet import UNet, UNetConfig


class ParityTest(unittest.TestCase):
    def test_fails_when_the_onnx_file_is_not_the_model_that_made_the_sample(self):
        torch.manual_seed(0)
        config = UNetConfig(base_width=4, depth=2, input_size=32)
        exported, other = UNet(config), UNet(config)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.onnx"
            export_onnx(exported, path, build_metadata(config, trained=False))
            self.assertTrue(check_parity(path, write_parity_sample(exported, Path(tmp) / "same"))["ok"])
            with torch.no_grad():
                for p in other.parameters():
                    p.add_(0.5)
            with self.assertRaisesRegex(ParityError, "exceeds"):
                check_parity(path, write_parity_sample(other, Path(tmp) / "other"))

    def test_metadata_marks_an_untrained_export_and_refuses_a_threshold_outside_0_1(self):
        config = UNetConfig(base_width=4, depth=2, input_size=32)
        self.assertEqual(build_metadata(config, trained=False)["covseg.trained"], "untrained")
        with self.assertRaises(Exception):
            build_metadata(config, trained=True, threshold=1.5)

    def test_metadata_carries_the_volume_small_component_filter_off_by_default(self):
        config = UNetConfig(base_width=4, depth=2, input_size=32)
        self.assertEqual(build_metadata(config, trained=True)["covseg.min_component_ml"], "0")
        self.assertEqual(build_metadata(config, trained=True, min_component_ml=0.5)["covseg.min_component_ml"], "0.5")

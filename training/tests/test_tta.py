import tempfile
import unittest
from pathlib import Path

import torch

from covseg_training.export_onnx import build_metadata, export_onnx, read_metadata, write_parity_sample
from covseg_training.parity import check_parity
from covseg_training.tta import HFlipTTA, with_tta
from covseg_training.unet import UNet, UNetConfig


class HFlipTTATest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.config = UNetConfig(base_width=4, depth=2, input_size=32)
        self.net = UNet(self.config).eval()
        self.x = torch.rand(3, 1, 32, 32)

    def test_is_the_mean_of_the_prediction_and_its_mirrored_prediction(self):
        tta = with_tta(self.net, "hflip")
        with torch.no_grad():
            expected = (self.net(self.x) + torch.flip(self.net(torch.flip(self.x, [3])), [3])) / 2
            torch.testing.assert_close(tta(self.x), expected)
            # Mirroring the input mirrors the output exactly.
            torch.testing.assert_close(tta(torch.flip(self.x, [3])), torch.flip(tta(self.x), [3]))
        self.assertIs(tta.config, self.config)

    def test_flip4_is_the_mean_of_the_four_mirror_images_and_of_hflip_and_vflip(self):
        flip4, hflip, vflip = (with_tta(self.net, t) for t in ("flip4", "hflip", "vflip"))
        h, v = (lambda t: torch.flip(t, [3])), (lambda t: torch.flip(t, [2]))
        with torch.no_grad():
            expected = (self.net(self.x) + h(self.net(h(self.x))) + v(self.net(v(self.x)))
                        + h(v(self.net(v(h(self.x)))))) / 4
            torch.testing.assert_close(flip4(self.x), expected)
            torch.testing.assert_close((hflip(self.x) + vflip(self.x)) / 2, expected)
            # Mirroring the input either way mirrors the output exactly.
            torch.testing.assert_close(flip4(v(self.x)), v(flip4(self.x)))

    def test_d4_commutes_with_quarter_turns(self):
        d4 = with_tta(self.net, "d4")
        with torch.no_grad():
            turned = torch.rot90(self.x, 1, [2, 3])
            torch.testing.assert_close(d4(turned), torch.rot90(d4(self.x), 1, [2, 3]), atol=1e-6, rtol=1e-5)
            self.assertFalse(torch.allclose(self.net(turned), torch.rot90(self.net(self.x), 1, [2, 3])))

    def test_none_is_the_network_itself_and_an_unknown_name_is_refused(self):
        self.assertIs(with_tta(self.net, "none"), self.net)
        with self.assertRaises(ValueError):
            with_tta(self.net, "rot90")

    def test_exports_to_onnx_with_parity_and_says_so_in_the_metadata(self):
        tta = HFlipTTA(self.net)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.onnx"
            export_onnx(tta, path, build_metadata(self.config, trained=False, tta="hflip"))
            self.assertTrue(check_parity(path, write_parity_sample(tta, Path(tmp) / "sample"))["ok"])
            self.assertEqual(read_metadata(path)["covseg.tta"], "hflip")

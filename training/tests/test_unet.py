import unittest

import torch

from covseg_training.unet import UNet, UNetConfig, count_parameters


class UNetTest(unittest.TestCase):
    def test_the_prototype_configuration_has_about_31_million_parameters(self):
        self.assertAlmostEqual(count_parameters(UNet(UNetConfig(base_width=64))) / 1e6, 31.0, delta=0.5)

    def test_outputs_one_probability_map_of_the_input_size_per_slice(self):
        model = UNet(UNetConfig(base_width=4, depth=3, input_channels=3, input_size=32)).eval()
        with torch.no_grad():
            prob = model(torch.rand(2, 3, 32, 32))
        self.assertEqual(tuple(prob.shape), (2, 1, 32, 32))
        self.assertTrue(bool(((prob > 0) & (prob < 1)).all()))

    def test_refuses_an_input_size_that_the_poolings_cannot_halve_evenly(self):
        with self.assertRaisesRegex(ValueError, "not divisible"):
            UNet(UNetConfig(base_width=4, depth=4, input_size=40))

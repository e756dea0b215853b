import unittest

import numpy as np

from covseg_training.ct_check import frame, lung_mask


class FrameTest(unittest.TestCase):
    spacing = (1.0, 1.0)  # mm per row, mm per column

    def test_grows_the_lung_box_by_the_margin_on_each_side(self):
        lung = np.zeros((400, 400), bool)
        lung[100:300, 50:350] = True  # 200 rows x 300 columns, larger than the 160 mm minimum
        self.assertEqual(frame(lung, self.spacing, 0.05, 160, 500), (90, 310, 35, 365))

    def test_centres_a_frame_of_at_least_the_minimum_size_on_a_small_lung(self):
        lung = np.zeros((400, 400), bool)
        lung[190:210, 180:220] = True  # 20 x 40 mm = 800 mm^2
        self.assertEqual(frame(lung, self.spacing, 0.05, 160, 500), (120, 280, 120, 280))

    def test_leaves_out_a_slice_whose_lung_is_under_the_minimum_area(self):
        lung = np.zeros((100, 100), bool)
        lung[10:20, 10:20] = True  # 100 mm^2
        self.assertIsNone(frame(lung, self.spacing, 0.05, 160, 500))


class LungMaskTest(unittest.TestCase):
    def test_keeps_two_air_regions_inside_the_body_and_drops_the_air_around_it(self):
        hu = np.full((3, 64, 100), -1000, dtype=np.int16)  # air outside the body
        hu[:, 8:56, 4:96] = 40  # body
        # Lungs more than two closing radii (2 x 10 mm) apart: unlike the server, this check closes both
        # lungs together, so closer lungs would be bridged.
        hu[:, 16:48, 8:28] = -850  # right lung
        hu[:, 16:48, 60:80] = -850  # left lung
        hu[:, 30, 15] = 40  # a vessel inside the lung counts as lung after hole filling
        mask = lung_mask(hu, (1.0, 1.0))
        self.assertEqual(int(mask[1].sum()), 2 * 32 * 20)
        self.assertFalse(mask[:, 0, 0].any())
        self.assertTrue(mask[1, 30, 15])

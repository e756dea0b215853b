import unittest

import numpy as np
import torch

from covseg_training.augment import AugmentConfig, augment_pair, resize_plain, to_tensor
from covseg_training.metrics import bce_dice_loss, overlap_metrics, soft_dice_loss

IDENTITY = AugmentConfig(
    flip_probability=0, right_angle_probability=0, max_rotation_degrees=0, zoom_range=(1, 1),
    max_aspect_jitter=0, max_shift_fraction=0, contrast_range=(1, 1), brightness_range=(0, 0),
    gamma_range=(1, 1), noise_sd_max=0,
)


class AugmentTest(unittest.TestCase):
    def setUp(self):
        image = (np.arange(60 * 40).reshape(60, 40) % 256).astype(np.uint8)
        mask = np.zeros((60, 40), dtype=bool)
        mask[10:30, 5:25] = True
        self.x, self.y = to_tensor(image, mask)

    def test_with_every_jitter_off_it_equals_the_contract_resize(self):
        x, y = augment_pair(self.x, self.y, 32, IDENTITY, np.random.default_rng(0))
        self.assertTrue(torch.allclose(x, resize_plain(self.x, 32), atol=1e-5))
        self.assertTrue(torch.equal(y, (resize_plain(self.y, 32) >= 0.5).float()))

    def test_keeps_images_in_the_unit_range_and_masks_binary_and_moves_them_together(self):
        rng = np.random.default_rng(1)
        for _ in range(10):
            x, y = augment_pair(self.x, self.y, 32, AugmentConfig(), rng)
            self.assertEqual(tuple(x.shape), (1, 1, 32, 32))
            self.assertGreaterEqual(float(x.min()), 0.0)
            self.assertLessEqual(float(x.max()), 1.0)
            self.assertEqual(set(torch.unique(y).tolist()) - {0.0, 1.0}, set())

    def test_is_reproducible_from_the_seed(self):
        a = augment_pair(self.x, self.y, 32, AugmentConfig(), np.random.default_rng(5))
        b = augment_pair(self.x, self.y, 32, AugmentConfig(), np.random.default_rng(5))
        self.assertTrue(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]))


class MetricsTest(unittest.TestCase):
    def test_overlap_metrics_of_half_overlapping_squares(self):
        p = np.zeros((10, 10), bool)
        t = np.zeros((10, 10), bool)
        p[0:4, 0:5] = True  # 20 px
        t[2:6, 0:5] = True  # 20 px, 10 shared
        m = overlap_metrics(p, t)
        self.assertAlmostEqual(m["dice"], 0.5)
        self.assertAlmostEqual(m["iou"], 10 / 30)
        self.assertAlmostEqual(m["precision"], 0.5)
        self.assertAlmostEqual(m["recall"], 0.5)

    def test_an_empty_prediction_of_an_empty_truth_is_perfect_and_of_a_lesion_scores_zero(self):
        empty = np.zeros((4, 4), bool)
        lesion = empty.copy()
        lesion[1, 1] = True
        self.assertEqual(overlap_metrics(empty, empty)["dice"], 1.0)
        self.assertEqual(overlap_metrics(empty, lesion)["dice"], 0.0)

    def test_losses_are_lower_for_confident_right_answers(self):
        target = torch.zeros(2, 1, 8, 8)
        target[:, :, :4] = 1
        right = (target * 2 - 1) * 8
        for loss in (soft_dice_loss, bce_dice_loss):
            self.assertLess(float(loss(right, target)), 0.05)
            self.assertGreater(float(loss(-right, target)), 0.9)

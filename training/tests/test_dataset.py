import tempfile
import unittest
from pathlib import Path

import numpy as np
from PIL import Image

from covseg_training.dataset import DatasetLayoutError, k_fold_indices, load_slices, split_indices


def write_pair(root: Path, stem: str, size: tuple[int, int], rgb: bool = False) -> None:
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    h, w = size
    grey = (np.arange(h * w).reshape(h, w) % 200).astype(np.uint8)
    image = np.stack([grey, grey, grey + 30], axis=2) if rgb else grey
    Image.fromarray(image).save(root / "images" / f"{stem}.png")
    mask = np.zeros((h, w), dtype=np.uint8)
    mask[: h // 2] = 255
    Image.fromarray(mask).save(root / "masks" / f"{stem}.png")


class LoadSlicesTest(unittest.TestCase):
    def test_reads_pairs_in_numeric_order_with_colour_averaged_to_grey(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for stem in ("10", "2", "1"):
                write_pair(root, stem, (20, 30), rgb=stem == "2")
            slices = load_slices(root)
        self.assertEqual([s.name for s in slices], ["1", "2", "10"])
        self.assertEqual(slices[1].image.dtype, np.uint8)
        self.assertEqual(int(slices[1].image[0, 5]), 5 + 10)  # (5 + 5 + 35) / 3
        self.assertEqual(int(slices[1].mask.sum()), 10 * 30)

    def test_refuses_an_image_without_a_mask(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_pair(root, "1", (8, 8))
            write_pair(root, "2", (8, 8))
            (root / "masks" / "2.png").unlink()
            with self.assertRaisesRegex(DatasetLayoutError, "images and masks differ"):
                load_slices(root)

    def test_refuses_a_mask_whose_size_differs_from_its_image(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_pair(root, "1", (8, 8))
            Image.fromarray(np.zeros((9, 8), dtype=np.uint8)).save(root / "masks" / "1.png")
            with self.assertRaisesRegex(DatasetLayoutError, "slice 1"):
                load_slices(root)


class SplitTest(unittest.TestCase):
    def test_k_fold_puts_every_slice_in_exactly_one_validation_fold(self):
        splits = k_fold_indices(50, 5, seed=7)
        validation = sorted(i for _, val in splits for i in val)
        self.assertEqual(validation, list(range(50)))
        for train, val in splits:
            self.assertEqual(len(val), 10)
            self.assertFalse(set(train) & set(val))

    def test_splits_are_the_same_for_the_same_seed_and_differ_for_another(self):
        self.assertEqual(k_fold_indices(20, 4, 1), k_fold_indices(20, 4, 1))
        self.assertNotEqual(k_fold_indices(20, 4, 1), k_fold_indices(20, 4, 2))
        self.assertEqual(split_indices(20, 0.2, 3), split_indices(20, 0.2, 3))
        self.assertEqual(len(split_indices(20, 0.2, 3)[1]), 4)

    def test_refuses_more_folds_than_slices(self):
        with self.assertRaises(DatasetLayoutError):
            k_fold_indices(3, 5, 0)

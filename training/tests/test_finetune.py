"""A tiny real fine-tune from a folder in the export-corrections layout (images/, masks/, manifest.json)."""
import contextlib
import csv
import io
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from covseg_training import final_cli, finetune
from covseg_training.dataset import DatasetLayoutError

from .test_training_end_to_end import TINY, write_synthetic_dataset


def write_export(root: Path, count: int = 12) -> None:
    """The layout export-corrections writes: pairs named <correction>-<slice>, plus a manifest entry each."""
    write_synthetic_dataset(root / "raw", count=count, seed=7)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir(parents=True)
    pairs = []
    for i in range(count):
        name = f"c{i // 4 + 1}-s{i % 4:04d}"
        shutil.move(root / "raw" / "images" / f"{i}.png", root / "images" / f"{name}.png")
        shutil.move(root / "raw" / "masks" / f"{i}.png", root / "masks" / f"{name}.png")
        pairs.append({"name": name, "correctionId": i // 4 + 1, "sliceIndex": i % 4})
    shutil.rmtree(root / "raw")
    (root / "manifest.json").write_text(json.dumps({"format": 1, "pairs": pairs}), encoding="utf-8")


class FinetuneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="covseg-finetune-test-"))
        write_synthetic_dataset(cls.tmp / "base", count=8, seed=1)
        # A briefly trained starting model, then a fine-tune on the exported corrections.
        final_cli.main(["--data", str(cls.tmp / "base"), "--out", str(cls.tmp / "init"), "--epochs", "2",
                        "--snapshot-every", "0", *TINY])
        write_export(cls.tmp / "export")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            finetune.main(["--corrections", str(cls.tmp / "export"), "--init", str(cls.tmp / "init" / "last.pt"),
                           "--out", str(cls.tmp / "ft"), "--epochs", "30", "--learning-rate", "0.01",
                           "--batch-size", "4", "--threads", "1"])
        cls.report = json.loads(printed.getvalue().strip().splitlines()[-1])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_loss_falls_and_a_checkpoint_of_the_init_shape_is_written(self):
        with open(self.tmp / "ft" / "history.csv", encoding="utf-8") as handle:
            losses = [float(r["train_loss"]) for r in csv.DictReader(handle)]
        self.assertEqual(len(losses), 30)
        self.assertLess(np.mean(losses[-3:]), 0.7 * np.mean(losses[:2]))
        init = torch.load(str(self.tmp / "init" / "last.pt"), map_location="cpu")
        tuned = torch.load(str(self.tmp / "ft" / "last.pt"), map_location="cpu")
        self.assertEqual(tuned["config"], init["config"])
        self.assertEqual(self.report["corrections"], 12)

    def test_starts_from_the_init_weights(self):
        # At learning rate 0 the trained parameters stay where they start: exactly the --init checkpoint's.
        finetune.main(["--corrections", str(self.tmp / "export"), "--init", str(self.tmp / "init" / "last.pt"),
                       "--out", str(self.tmp / "ft0"), "--epochs", "1", "--learning-rate", "0", "--threads", "1"])
        init = torch.load(str(self.tmp / "init" / "last.pt"), map_location="cpu")["state_dict"]
        still = torch.load(str(self.tmp / "ft0" / "last.pt"), map_location="cpu")["state_dict"]
        tuned = torch.load(str(self.tmp / "ft" / "last.pt"), map_location="cpu")["state_dict"]
        learnt = [k for k in init if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
        self.assertTrue(learnt)
        self.assertTrue(all(torch.equal(still[k], init[k]) for k in learnt))
        self.assertTrue(any(not torch.equal(tuned[k], init[k]) for k in learnt))

    def test_mixes_in_the_original_training_slices(self):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            finetune.main(["--corrections", str(self.tmp / "export"), "--init", str(self.tmp / "init" / "last.pt"),
                           "--out", str(self.tmp / "mixed"), "--base-data", str(self.tmp / "base"), "--epochs", "1",
                           "--threads", "1"])
        report = json.loads(printed.getvalue().strip().splitlines()[-1])
        self.assertEqual((report["corrections"], report["slices"]), (12, 20))
        self.assertTrue((self.tmp / "mixed" / "last.pt").is_file())

    def test_refuses_a_folder_whose_manifest_does_not_match_its_pairs(self):
        bad = self.tmp / "bad"
        shutil.copytree(self.tmp / "export", bad)
        (bad / "images" / "c1-s0000.png").unlink()
        (bad / "masks" / "c1-s0000.png").unlink()
        with self.assertRaises(DatasetLayoutError):
            finetune.load_corrections(bad)
        with self.assertRaises(DatasetLayoutError):
            finetune.load_corrections(self.tmp / "base")  # no manifest.json

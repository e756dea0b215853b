"""A short real training on tiny synthetic slices, through the command lines the model card uses."""
import contextlib
import csv
import io
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from covseg_training import cv_cli, export_cli, final_cli
from covseg_training.export_onnx import read_metadata
from covseg_training.train import CSV_FIELDS

TINY = ["--base-width", "4", "--depth", "2", "--input-size", "32", "--batch-size", "4", "--learning-rate", "0.01",
        "--threads", "1", "--loss", "bce_dice"]


def write_synthetic_dataset(root: Path, count: int = 12, seed: int = 0) -> None:
    """Grey 'lungs' (value 60) with brighter 'lesions' (value 200) of random place and size; mask = lesion."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir(parents=True)
    for i in range(count):
        h, w = int(rng.integers(36, 56)), int(rng.integers(36, 56))
        yy, xx = np.mgrid[0:h, 0:w]
        cy, cx, r = rng.uniform(10, h - 10), rng.uniform(10, w - 10), rng.uniform(4, 9)
        lesion = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        image = np.where(lesion, 200, 60) + rng.normal(0, 8, (h, w))
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(root / "images" / f"{i}.png")
        Image.fromarray((lesion * 255).astype(np.uint8)).save(root / "masks" / f"{i}.png")


class TrainingEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("node") is None:
            raise RuntimeError("the ONNX parity check needs node on PATH")
        cls.tmp = Path(tempfile.mkdtemp(prefix="covseg-training-test-"))
        write_synthetic_dataset(cls.tmp / "data")
        cv_cli.main(["--data", str(cls.tmp / "data"), "--out", str(cls.tmp / "cv"), "--folds", "2", "--epochs", "12",
                     "--snapshot-every", "6", *TINY])
        cv_cli.main(["--data", str(cls.tmp / "data"), "--out", str(cls.tmp / "cv"), "--folds", "2", "--epochs", "12",
                     "--summarise", "--at-epoch", "6", *TINY])
        for tta in ("none", "hflip"):
            cv_cli.main(["--data", str(cls.tmp / "data"), "--out", str(cls.tmp / "cv"), "--folds", "2", "--epochs", "12",
                         "--summarise", "--tta", tta, *TINY])
        final_cli.main(["--data", str(cls.tmp / "data"), "--out", str(cls.tmp / "final"), "--epochs", "20",
                        "--snapshot-every", "10", *TINY])
        final_cli.main(["--data", str(cls.tmp / "data"), "--out", str(cls.tmp / "stage2"), "--epochs", "4",
                        "--continue-from", str(cls.tmp / "final"), "--continue-epoch", "10", *TINY])
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            export_cli.main(["--checkpoint", str(cls.tmp / "final" / "epoch-20.pt"), "--out", str(cls.tmp / "model.onnx"),
                             "--cv-summary", str(cls.tmp / "cv" / "cv-summary.json"), "--threshold", "0.6"])
        cls.export_report = json.loads(printed.getvalue().strip().splitlines()[-1])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def history(self, run: str) -> list[dict[str, str]]:
        with open(self.tmp / run / "history.csv", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def test_the_training_loss_falls(self):
        losses = [float(row["train_loss"]) for row in self.history("final")]
        self.assertLess(np.mean(losses[-3:]), 0.7 * np.mean(losses[:2]))

    def test_logs_every_epoch_with_train_and_validation_metrics_to_csv(self):
        rows = self.history("cv/fold-0")
        self.assertEqual(len(rows), 12)
        self.assertEqual(list(rows[0].keys()), CSV_FIELDS)
        self.assertTrue(all(0.0 <= float(r["val_dice"]) <= 1.0 for r in rows))

    def test_writes_checkpoints_curves_and_a_cv_summary_covering_every_slice(self):
        for path in ("cv/fold-0/best.pt", "cv/fold-1/last.pt", "cv/cv-curves.png", "final/epoch-10.pt", "final/last.pt",
                     "final/final-curves.png"):
            self.assertTrue((self.tmp / path).is_file(), path)
        summary = json.loads((self.tmp / "cv" / "cv-summary.json").read_text())
        self.assertEqual(len(summary["per_image"]), 12)
        self.assertEqual(summary["headline"]["folds"], 2)
        self.assertEqual(len(summary["metrics_last_epoch"]["dice"]["fold_means"]), 2)

    def test_a_second_stage_continues_the_epoch_numbering_and_the_learning_rate_of_its_snapshot(self):
        rows = self.history("stage2")
        self.assertEqual([int(r["epoch"]) for r in rows], [11, 12, 13, 14])
        first_stage = {int(r["epoch"]): r for r in self.history("final")}
        self.assertEqual(float(rows[0]["lr"]), float(first_stage[10]["lr"]))

    def test_cross_validation_can_be_summarised_at_a_snapshot_epoch(self):
        summary = json.loads((self.tmp / "cv" / "cv-summary-epoch-6.json").read_text())
        self.assertEqual(summary["headline"]["epochs"], 6)
        self.assertEqual(len(summary["val_dice_by_epoch_mean_over_folds"]), 6)
        self.assertEqual(len(summary["per_image"]), 12)

    def test_summary_with_tta_predicts_again_from_the_same_checkpoints(self):
        saved = json.loads((self.tmp / "cv" / "cv-summary.json").read_text())
        again = json.loads((self.tmp / "cv" / "cv-summary-tta-none.json").read_text())
        hflip = json.loads((self.tmp / "cv" / "cv-summary-tta-hflip.json").read_text())
        self.assertEqual((again["tta"], hflip["tta"]), ("none", "hflip"))
        # --tta none predicts the saved last-epoch maps again from last.pt: the same figures.
        self.assertAlmostEqual(again["headline"]["dice_mean"], saved["headline"]["dice_mean"], places=3)
        self.assertEqual(len(hflip["per_image"]), 12)

    def test_exports_an_onnx_model_with_the_contract_metadata_and_names(self):
        model = onnx.load(str(self.tmp / "model.onnx"))
        self.assertEqual([i.name for i in model.graph.input], ["input"])
        self.assertEqual([o.name for o in model.graph.output], ["prob"])
        batch = model.graph.input[0].type.tensor_type.shape.dim[0]
        self.assertEqual(batch.dim_param, "N")
        meta = read_metadata(self.tmp / "model.onnx")
        self.assertEqual(meta["covseg.trained"], "trained")
        self.assertEqual(meta["covseg.input_size"], "32")
        self.assertEqual(meta["covseg.threshold"], "0.6")
        self.assertEqual(meta["covseg.framing"], "lung-bbox")
        self.assertEqual(meta["covseg.tta"], "none")
        cv = json.loads(meta["covseg.cv_metrics"])
        self.assertEqual(cv["folds"], 2)
        self.assertEqual(cv["decision_threshold"], 0.6)
        self.assertGreaterEqual(cv["dice"]["mean"], 0.0)

    def test_onnx_runtime_reproduces_pytorch(self):
        self.assertTrue(self.export_report["parity"]["ok"])
        self.assertLess(self.export_report["parity"]["maxAbsDiff"], 1e-4)

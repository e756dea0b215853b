"""Semi-supervised training (issue 12): per-epoch pools, the split by volume, the nested threshold, and a
tiny real pretrain -> fine-tune CV -> final run through semi_cli."""
import contextlib
import csv
import io
import json
import math
import os
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from covseg_training import cv_cli, semi_cli
from covseg_training.cv_summary import SWEEP, nested_threshold
from covseg_training.dataset import DatasetLayoutError, Slice, k_fold_indices, load_slices, volume_of, volume_split
from covseg_training.train import epoch_order
from covseg_training.unet import UNet, UNetConfig

from .test_training_end_to_end import TINY, write_synthetic_dataset


def write_volumes(root: Path, volumes: int = 4, per_volume: int = 3) -> None:
    """Synthetic slices named like the pseudo-labels, Data-1_<volume>_<slice>."""
    write_synthetic_dataset(root, count=volumes * per_volume, seed=3)
    for i in range(volumes * per_volume):
        stem = f"Data-1_vol-{i % volumes}_{i}"
        for sub in ("images", "masks"):
            os.rename(root / sub / f"{i}.png", root / sub / f"{stem}.png")


def write_negatives(root: Path, count: int = 6) -> None:
    """Lesion-free 'lungs' with empty masks, like bench/hard-negatives.ts writes."""
    rng = np.random.default_rng(5)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir(parents=True)
    for i in range(count):
        image = np.clip(60 + rng.normal(0, 8, (40, 44)), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(root / "images" / f"neg_{i}.png")
        Image.fromarray(np.zeros((40, 44), np.uint8)).save(root / "masks" / f"neg_{i}.png")


class EpochOrderTest(unittest.TestCase):
    def test_every_base_slice_and_the_asked_number_from_each_pool_without_repeats(self):
        order = epoch_order(5, [100, 10], (7, 0), np.random.default_rng(0))
        self.assertEqual(len(order), 5 + 7 + 10)
        self.assertEqual(len(set(order.tolist())), len(order))
        self.assertTrue(set(range(5)) <= set(order.tolist()))
        self.assertEqual(sum(1 for i in order if 5 <= i < 105), 7)
        self.assertTrue(set(range(105, 115)) <= set(order.tolist()))

    def test_draws_change_between_epochs_and_are_seeded(self):
        rng = np.random.default_rng(1)
        first, second = epoch_order(0, [50], (10,), rng), epoch_order(0, [50], (10,), rng)
        self.assertNotEqual(sorted(first.tolist()), sorted(second.tolist()))
        np.testing.assert_array_equal(first, epoch_order(0, [50], (10,), np.random.default_rng(1)))

    def test_without_pools_it_is_the_plain_permutation_of_before(self):
        np.testing.assert_array_equal(epoch_order(9, [], (), np.random.default_rng(4)),
                                      np.random.default_rng(4).permutation(9))


class VolumeSplitTest(unittest.TestCase):
    def slices(self):
        blank = np.zeros((2, 2), np.uint8)
        names = [f"Data-1_coronacases_org_00{v}_{k}" for v in range(1, 6) for k in range(3)]
        names += [f"Data-1_radiopaedia_org_covid-19-pneumonia-7_85703_0-dcm_{k}" for k in range(4)]
        return [Slice(n, blank, blank.astype(bool)) for n in names]

    def test_volume_is_the_name_before_the_slice_number(self):
        self.assertEqual(volume_of("Data-1_radiopaedia_org_covid-19-pneumonia-7_85703_0-dcm_12"),
                         "Data-1_radiopaedia_org_covid-19-pneumonia-7_85703_0-dcm")
        self.assertEqual(volume_of("lidc-idri-0002_40"), "lidc-idri-0002")

    def test_no_volume_sits_on_both_sides(self):
        train, val = volume_split(self.slices(), 2, seed=0)
        train_volumes, val_volumes = {volume_of(s.name) for s in train}, {volume_of(s.name) for s in val}
        self.assertEqual(len(val_volumes), 2)
        self.assertFalse(train_volumes & val_volumes)
        self.assertEqual(len(train) + len(val), len(self.slices()))

    def test_refuses_to_hold_out_every_volume(self):
        with self.assertRaises(DatasetLayoutError):
            volume_split(self.slices(), 6, seed=0)


class NestedThresholdTest(unittest.TestCase):
    def test_each_fold_gets_the_threshold_best_on_the_other_folds(self):
        # Fold 0's slices are right at any threshold up to 0.8; fold 1's only below 0.4: fold 0 is scored
        # at fold 1's best threshold and vice versa, never at its own.
        truth = np.zeros((4, 4), bool)
        truth[:2] = True
        strong = np.where(truth, 0.8, 0.1).astype(np.float32)
        weak = np.where(truth, 0.35, 0.1).astype(np.float32)
        slices = [Slice(f"s{i}", np.zeros((4, 4), np.uint8), truth) for i in range(4)]
        probabilities = {"s0": strong, "s1": strong, "s2": weak, "s3": weak}
        fold_of = {"s0": 0, "s1": 0, "s2": 1, "s3": 1}
        result = nested_threshold(slices, probabilities, fold_of)
        self.assertLessEqual(result["threshold_by_fold"]["0"], 0.35)  # chosen on fold 1's weak maps
        self.assertGreater(result["threshold_by_fold"]["1"], 0.35)  # chosen on fold 0: ties broken toward 0.5
        self.assertIn(result["threshold_by_fold"]["1"], SWEEP)
        self.assertEqual(result["dice_fold_means"][0], 1.0)
        self.assertEqual(result["dice_fold_means"][1], 0.0)


class SemiCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="covseg-semi-test-"))
        write_volumes(cls.tmp / "pseudo")
        write_negatives(cls.tmp / "neg")
        write_synthetic_dataset(cls.tmp / "doctor", count=8, seed=9)
        with contextlib.redirect_stdout(io.StringIO()):
            semi_cli.main(["pretrain", "--data", str(cls.tmp / "pseudo"), "--negatives", str(cls.tmp / "neg"),
                           "--out", str(cls.tmp / "pre"), "--epochs", "3", "--val-volumes", "1", "--val-every", "1",
                           "--pseudo-per-epoch", "6", "--negatives-per-epoch", "4", *TINY])
            semi_cli.main(["pretrain", "--data", str(cls.tmp / "pseudo"), "--negatives", str(cls.tmp / "neg"),
                           "--out", str(cls.tmp / "pre-cosine"), "--epochs", "3", "--val-volumes", "1", "--val-every", "1",
                           "--pseudo-per-epoch", "6", "--negatives-per-epoch", "4", *TINY, "--lr-schedule", "cosine",
                           "--learning-rate", "1e-3"])
            common = ["--data", str(cls.tmp / "doctor"), "--init", str(cls.tmp / "pre" / "last.pt"),
                      "--negatives", str(cls.tmp / "neg"), "--pseudo", str(cls.tmp / "pseudo"), "--epochs", "2",
                      "--negatives-per-epoch", "2", "--pseudo-per-epoch", "2", "--folds", "2", *TINY]
            for fold in ("0", "1"):
                semi_cli.main(["finetune", "--out", str(cls.tmp / "ft"), "--only-fold", fold, *common])
            semi_cli.main(["finetune", "--out", str(cls.tmp / "final"), "--final", *common])
            cv_cli.main(["--data", str(cls.tmp / "doctor"), "--out", str(cls.tmp / "ft"), "--folds", "2", "--summarise",
                         *TINY])
            # A 3-fold CV stopped after two folds.
            at = common.index("--folds")
            three_folds = [*common[:at], "--folds", "3", *common[at + 2:]]
            for fold in ("0", "2"):
                semi_cli.main(["finetune", "--out", str(cls.tmp / "ft3"), "--only-fold", fold, *three_folds])
            cv_cli.main(["--data", str(cls.tmp / "doctor"), "--out", str(cls.tmp / "ft3"), "--folds", "3", "--summarise",
                         "--summarise-folds", "0,2", "--tta", "hflip", *TINY])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_pretraining_holds_whole_volumes_out_and_never_reads_the_doctor_slices(self):
        split = json.loads((self.tmp / "pre" / "split.json").read_text(encoding="utf-8"))
        self.assertEqual(len(split["val_volumes"]), 1)
        self.assertFalse(set(split["train_volumes"]) & set(split["val_volumes"]))
        self.assertEqual(split["train_negatives"], 6)
        self.assertEqual(split["train_pseudo_slices"] + split["val_pseudo_slices"], 12)
        self.assertTrue((self.tmp / "pre" / "epoch-3.pt").is_file())

    def test_pretrain_reports_its_cost_samples_and_size(self):
        report = json.loads((self.tmp / "pre" / "pretrain-report.json").read_text(encoding="utf-8"))
        self.assertEqual(report["samples"], 3 * (6 + 4))  # 9 training pseudo slices hold 6 to draw, 6 negatives 4
        self.assertGreater(report["train_cpu_seconds"], 0.0)
        self.assertEqual(report["parameters"], sum(p.numel() for p in UNet(UNetConfig(**report["model"])).parameters()))
        rows = list(csv.DictReader(open(self.tmp / "pre" / "history.csv", encoding="utf-8")))
        self.assertAlmostEqual(sum(float(r["cpu_seconds"]) for r in rows), report["train_cpu_seconds"], places=0)

    def test_the_cosine_schedule_is_fixed_in_advance_whatever_the_validation_says(self):
        rows = list(csv.DictReader(open(self.tmp / "pre-cosine" / "history.csv", encoding="utf-8")))
        # epoch e trains at min + (lr - min) (1 + cos(pi (e - 1) / epochs)) / 2
        expected = [1e-7 + (1e-3 - 1e-7) * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
        for row, lr in zip(rows, expected):
            self.assertAlmostEqual(float(row["lr"]), lr, places=9)
        report = json.loads((self.tmp / "pre-cosine" / "pretrain-report.json").read_text(encoding="utf-8"))
        self.assertEqual(report["lr_schedule"], "cosine")

    def test_an_unknown_schedule_is_refused(self):
        from covseg_training.train import TrainConfig, TrainingConfigError

        with self.assertRaises(TrainingConfigError):
            TrainConfig(lr_schedule="step").validate()

    def test_folds_start_from_the_pretrained_weights_and_gather_with_a_nested_threshold(self):
        summary = json.loads((self.tmp / "ft" / "cv-summary.json").read_text(encoding="utf-8"))
        self.assertEqual(summary["headline"]["images"], 8)
        nested = summary["nested_threshold"]
        self.assertEqual(set(nested["threshold_by_fold"]), {"0", "1"})
        self.assertTrue(0.0 <= nested["dice_mean"] <= 1.0)
        fold = torch.load(str(self.tmp / "ft" / "fold-0" / "last.pt"), map_location="cpu")
        self.assertEqual(fold["epoch"], 2)  # numbered from the start point 0, two epochs of fine-tuning

    def test_a_cv_stopped_early_is_summarised_over_its_finished_folds_only(self):
        part = json.loads((self.tmp / "ft3" / "cv-summary-folds-02-tta-hflip.json").read_text(encoding="utf-8"))
        full = json.loads((self.tmp / "ft" / "cv-summary.json").read_text(encoding="utf-8"))
        self.assertEqual(part["folds_summarised"], [0, 2])
        self.assertNotIn("folds_summarised", full)
        held = {f: set(v) for f, (_, v) in enumerate(k_fold_indices(8, 3, 0))}
        scored = {name: row["fold"] for name, row in part["per_image"].items()}
        self.assertEqual(set(scored.values()), {0, 2})
        self.assertEqual(part["headline"]["images"], len(held[0]) + len(held[2]))
        self.assertEqual(part["headline"]["folds"], 2)
        self.assertEqual(set(part["nested_threshold"]["threshold_by_fold"]), {"0", "2"})
        for args in (["--summarise-folds", "0,3"], ["--summarise-folds", "2"]):
            with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                cv_cli.main(["--data", str(self.tmp / "doctor"), "--out", str(self.tmp / "ft3"), "--folds", "3",
                             "--summarise", *args, *TINY])

    def test_snapshot_eval_scores_dice_agreement_and_flagged_negatives_by_threshold(self):
        from covseg_training import snapshot_eval

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            snapshot_eval.main(["--checkpoint", str(self.tmp / "pre" / "last.pt"), "--doctor", str(self.tmp / "doctor"),
                                "--pseudo", str(self.tmp / "pseudo"), "--pseudo-val-volumes", "1", "--negatives",
                                str(self.tmp / "neg"), "--thresholds", "0.5", "0.7"])
        row = json.loads(printed.getvalue().strip().splitlines()[-1])
        self.assertEqual(set(row["doctor_dice"]), {"0.5", "0.7"})
        self.assertTrue(0.0 <= row["heldout_pseudo_dice"]["0.5"] <= 1.0)
        flagged = row["negatives_percent_flagged:neg"]
        self.assertGreaterEqual(flagged["0.5"], flagged["0.7"])  # a higher threshold never flags more

    def test_snapshot_eval_picks_the_threshold_on_one_set_only(self):
        from covseg_training import snapshot_eval

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            snapshot_eval.main(["--checkpoint", str(self.tmp / "pre" / "last.pt"), "--doctor", str(self.tmp / "doctor"),
                                "--pseudo", str(self.tmp / "pseudo"), "--pseudo-val-volumes", "1", "--negatives",
                                str(self.tmp / "neg"), "--thresholds", "0.3", "0.5", "0.7",
                                "--pick-threshold-on", "heldout_pseudo_dice", "--per-image"])
        row = json.loads(printed.getvalue().strip().splitlines()[-1])
        picked = row["picked"]
        best = max(row["heldout_pseudo_dice"].values())
        self.assertEqual(row["heldout_pseudo_dice"][str(picked["threshold"])], best)
        self.assertEqual(picked["doctor_dice"], row["doctor_dice"][str(picked["threshold"])])
        self.assertEqual(picked["negatives_percent_flagged:neg"], row["negatives_percent_flagged:neg"][str(picked["threshold"])])
        per_image = picked["per_image"]["doctor_dice"]
        self.assertEqual(len(per_image), 8)
        self.assertAlmostEqual(float(np.mean(list(per_image.values()))), picked["doctor_dice"], places=3)
        self.assertNotIn("heldout_pseudo_dice", picked["per_image"])

    def test_a_model_without_cv_exports_its_own_figures_and_provenance(self):
        from covseg_training import export_cli
        from covseg_training.export_onnx import read_metadata

        out = self.tmp / "semi.onnx"
        with contextlib.redirect_stdout(io.StringIO()):
            export_cli.main(["--checkpoint", str(self.tmp / "final" / "last.pt"), "--out", str(out), "--threshold", "0.6",
                             "--version", "1.2.0", "--tta", "hflip", "--training-data", "doctor + pseudo + negatives",
                             "--metrics-json", '{"cross_validated": false, "doctor_dice_seen": 0.7}'])
        metadata = read_metadata(out)
        self.assertEqual(metadata["covseg.training_data"], "doctor + pseudo + negatives")
        self.assertEqual(json.loads(metadata["covseg.cv_metrics"]),
                         {"cross_validated": False, "doctor_dice_seen": 0.7, "decision_threshold": 0.6, "tta": "hflip",
                          "min_component_ml": 0.0})
        self.assertEqual(metadata["covseg.version"], "1.2.0")

    def test_the_final_run_uses_every_doctor_slice_and_the_pools(self):
        history = (self.tmp / "final" / "history.csv").read_text(encoding="utf-8").splitlines()
        self.assertEqual(len(history), 3)
        self.assertTrue((self.tmp / "final" / "last.pt").is_file())
        self.assertEqual(len(load_slices(self.tmp / "doctor")), 8)


class PatientTest(unittest.TestCase):
    def test_radiopaedia_series_of_one_case_are_one_patient_and_never_split(self):
        from covseg_training.dataset import patient_of

        a = "Data-1_radiopaedia_org_covid-19-pneumonia-10_85902_1-dcm_3"
        b = "Data-1_radiopaedia_org_covid-19-pneumonia-10_85902_3-dcm_120"
        self.assertEqual(patient_of(a), patient_of(b))
        self.assertNotEqual(patient_of(a), patient_of("Data-1_radiopaedia_org_covid-19-pneumonia-14_85914_0-dcm_1"))
        self.assertEqual(patient_of("Data-1_coronacases_org_004_7"), "Data-1_coronacases_org_004")
        blank = np.zeros((2, 2), np.uint8)
        slices = [Slice(n, blank, blank.astype(bool)) for n in (a, b, "Data-1_coronacases_org_004_7", "Data-1_coronacases_org_005_1")]
        for seed in range(6):
            train, val = volume_split(slices, 1, seed)
            self.assertEqual(sum(s.name in (a, b) for s in val) in (0, 2), True)


class FromOnnxTest(unittest.TestCase):
    """A shipped ONNX file (BatchNorm folded into the convolutions, TTA graph twice) back to PyTorch."""

    def test_the_rebuilt_network_computes_what_the_onnx_file_does(self):
        from covseg_training.export_onnx import build_metadata, export_onnx
        from covseg_training.from_onnx import unet_from_onnx
        from covseg_training.tta import with_tta
        from covseg_training.unet import UNet, UNetConfig

        torch.manual_seed(0)
        net = UNet(UNetConfig(4, 2, 1, 32))
        with torch.no_grad():  # non-trivial BatchNorm statistics, so folding them matters
            for module in net.modules():
                if isinstance(module, torch.nn.BatchNorm2d):
                    module.running_mean.uniform_(-0.5, 0.5)
                    module.running_var.uniform_(0.5, 2.0)
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.2, 0.2)
        net.eval()
        x = torch.rand(2, 1, 32, 32)
        with tempfile.TemporaryDirectory() as tmp:
            for tta in ("none", "hflip"):
                path = Path(tmp) / f"m-{tta}.onnx"
                export_onnx(with_tta(net, tta), path, build_metadata(net.config, trained=True, tta=tta, version="9.9.9"))
                rebuilt, metadata = unet_from_onnx(path)
                self.assertEqual(metadata["covseg.version"], "9.9.9")
                self.assertEqual(rebuilt.config, net.config)
                with torch.no_grad():
                    torch.testing.assert_close(rebuilt(x), net(x), atol=1e-5, rtol=1e-4)

    def test_frozen_batchnorm_keeps_its_statistics_while_the_weights_learn(self):
        from covseg_training.train import TrainConfig, train
        from covseg_training.unet import UNetConfig

        blank = np.zeros((20, 20), np.uint8)
        mask = np.zeros((20, 20), bool)
        mask[5:10, 5:10] = True
        slices = [Slice(f"s{i}", (blank + 40 * i).astype(np.uint8), mask) for i in range(4)]
        with tempfile.TemporaryDirectory() as tmp:
            config = TrainConfig(epochs=2, batch_size=2, threads=1, loss="bce_dice", freeze_batchnorm=True)
            result = train(UNetConfig(4, 2, 1, 32), slices, [], config, Path(tmp))
        bn = next(m for m in result.model.modules() if isinstance(m, torch.nn.BatchNorm2d))
        torch.testing.assert_close(bn.running_mean, torch.zeros_like(bn.running_mean))
        torch.testing.assert_close(bn.running_var, torch.ones_like(bn.running_var))
        self.assertEqual(int(bn.num_batches_tracked), 0)

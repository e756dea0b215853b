"""Ensembles of CV runs (ensemble_cv): the two ways of averaging, and a real CV of two tiny runs."""
import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import unittest
from dataclasses import asdict
from pathlib import Path

import onnx
import torch

from covseg_training import consolidation_cli, ensemble_cv, export_ensemble, export_multiclass
from covseg_training.dataset import k_fold_indices, load_slices
from covseg_training.export_onnx import build_metadata, export_onnx, read_metadata
from covseg_training.metrics import overlap_metrics
from covseg_training.tta import HFlipTTA, with_tta
from covseg_training.unet import UNet, UNetConfig

from .test_consolidation import COMPARE, synthetic_slices, write_slices
from .test_training_end_to_end import write_synthetic_dataset

CONFIG = UNetConfig(base_width=4, depth=2, input_size=32)


def _net(seed: int) -> UNet:
    torch.manual_seed(seed)
    return UNet(CONFIG).eval()


class EnsembleModulesTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.x = torch.rand(2, 1, 32, 32)
        self.a, self.b = _net(1), _net(2)

    def test_cross_flip_of_a_model_with_itself_is_its_flip_tta(self):
        with torch.no_grad():
            torch.testing.assert_close(ensemble_cv.ensemble([self.a, self.a], "cross")(self.x),
                                       with_tta(self.a, "hflip")(self.x))

    def test_cross_flip_feeds_the_second_member_the_mirrored_input(self):
        with torch.no_grad():
            expected = (self.a(self.x) + torch.flip(self.b(torch.flip(self.x, [3])), [3])) / 2
            torch.testing.assert_close(ensemble_cv.ensemble([self.a, self.b], "cross")(self.x), expected)

    def test_mean_averages_each_members_flip_tta(self):
        with torch.no_grad():
            expected = (with_tta(self.a, "hflip")(self.x) + with_tta(self.b, "hflip")(self.x)) / 2
            torch.testing.assert_close(ensemble_cv.ensemble([self.a, self.b], "mean")(self.x), expected)
        self.assertIs(ensemble_cv.ensemble([self.a], "mean").config, CONFIG)

    def test_an_unknown_mode_and_no_member_are_refused(self):
        with self.assertRaises(ValueError):
            ensemble_cv.ensemble([self.a], "median")
        with self.assertRaises(ValueError):
            ensemble_cv.CrossFlipEnsemble([])


class EnsembleCrossValidationTest(unittest.TestCase):
    def test_every_slice_is_scored_by_its_folds_models_and_compared_with_each_member(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_synthetic_dataset(root / "data", count=9, seed=4)
            a, b = _save_runs(root, "a", 1, 3), _save_runs(root, "b", 2, 3)
            out = root / "ensemble.json"
            with contextlib.redirect_stdout(io.StringIO()):
                ensemble_cv.main(["--data", str(root / "data"), "--runs", str(a), str(b), "--folds", "3",
                                  "--mode", "cross", "--out", str(out)])
            result = json.loads(out.read_text())
            self.assertEqual(set(result["summaries"]), {"ensemble", str(a), str(b)})
            slices = load_slices(root / "data")
            folds = k_fold_indices(len(slices), 3, 0)
            for name, summary in result["summaries"].items():
                self.assertEqual(len(summary["per_image"]), 9, name)
                for fold, (_, val_idx) in enumerate(folds):
                    for i in val_idx:
                        self.assertEqual(summary["per_image"][slices[i].name]["fold"], fold)
            # The ensemble's map for a slice is the cross-flip mean of that fold's two models: recompute one.
            fold, (_, val_idx) = 1, folds[1]
            first = slices[val_idx[0]]
            members = [ensemble_cv.load_checkpoint(run / f"fold-{fold}" / "last.pt").eval() for run in (a, b)]
            expected = ensemble_cv.predict_native(ensemble_cv.ensemble(members, "cross"), [first])[first.name]
            dice = overlap_metrics(expected >= 0.5, first.mask)["dice"]
            self.assertAlmostEqual(result["summaries"]["ensemble"]["per_image"][first.name]["dice"], dice, places=4)
            paired = result["ensemble_minus_member"][str(a)]
            self.assertLessEqual(paired["better"] + paired["worse"], 9)

    def test_negatives_report_the_share_of_pixels_each_model_flags_by_threshold_averaged_over_folds(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_synthetic_dataset(root / "data", count=6, seed=4)
            write_synthetic_dataset(root / "negatives", count=3, seed=6)
            a, b = _save_runs(root, "a", 1, 2), _save_runs(root, "b", 2, 2)
            negatives = load_slices(root / "negatives")
            result = ensemble_cv.cross_validate(root / "data", [a, b], "mean", 2, 0, 0.5,
                                                negatives={"negatives": negatives})
            flagged = result["negatives_percent_flagged"]["negatives"]
            self.assertEqual(set(flagged), {"ensemble", str(a), str(b)})
            # Recompute member a's figure at 0.5: each fold's model over every negative pixel, then the fold mean.
            total = sum(s.image.size for s in negatives)
            per_fold = []
            for fold in range(2):
                model = with_tta(ensemble_cv.load_checkpoint(a / f"fold-{fold}" / "last.pt").eval(), "hflip")
                maps = ensemble_cv.predict_native(model, negatives)
                per_fold.append(100 * sum(int((maps[s.name] >= 0.5).sum()) for s in negatives) / total)
            self.assertAlmostEqual(flagged[str(a)]["0.5"], sum(per_fold) / 2, places=3)
            # Non-increasing in the threshold.
            values = [flagged["ensemble"][t] for t in sorted(flagged["ensemble"], key=float)]
            self.assertEqual(values, sorted(values, reverse=True))

    def test_members_of_different_input_sizes_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            write_synthetic_dataset(root / "data", count=6, seed=4)
            a = _save_runs(root, "a", 1, 2)
            b = _save_runs(root, "b", 2, 2, UNetConfig(base_width=4, depth=2, input_size=48))
            with self.assertRaises(SystemExit):
                ensemble_cv.cross_validate(root / "data", [a, b], "mean", 2, 0, 0.5)


def _save_runs(root: Path, name: str, seed: int, folds: int, config: UNetConfig = CONFIG) -> Path:
    """A CV folder of untrained fold models (fold-<k>/last.pt in train.py's layout)."""
    for fold in range(folds):
        folder = root / name / f"fold-{fold}"
        folder.mkdir(parents=True)
        torch.manual_seed(seed * 10 + fold)
        torch.save({"config": asdict(config), "state_dict": UNet(config).state_dict(), "epoch": 1}, folder / "last.pt")
    return root / name


class EnsembleExportTest(unittest.TestCase):
    """A tiny multi-class model built as the project builds it, and a second network grafted onto it."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        write_slices(cls.tmp / "data", synthetic_slices(10, seed=4))
        cls.binary = cls.tmp / "binary.onnx"
        export_onnx(HFlipTTA(_net(3)), cls.binary, build_metadata(CONFIG, trained=True, threshold=0.6, tta="hflip",
                                                                  cv_metrics={"binary": 1}, min_component_ml=0.5))
        cls.multi = cls.tmp / "multi.onnx"
        member = cls.tmp / "member.pt"
        torch.save({"config": asdict(CONFIG), "state_dict": _net(8).state_dict(), "epoch": 1}, member)
        a, b = _save_runs(cls.tmp, "a", 1, 5), _save_runs(cls.tmp, "b", 2, 5)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            consolidation_cli.main(["--onnx", str(cls.binary), "--images", str(cls.tmp / "data" / "images"),
                                    "--masks", str(cls.tmp / "data" / "masks"), "--out", str(cls.tmp / "head"),
                                    "--augmented-views", "1", "--steps", "10", "--batch", "4", "--crop", "24",
                                    "--folds", "5", "--inner-folds", "2"])
            export_multiclass.main(["--base", str(cls.binary), "--head", str(cls.tmp / "head" / "head.pt"),
                                    "--cv-summary", str(cls.tmp / "head" / "cv-summary.json"),
                                    "--out", str(cls.multi), "--version", "9.9.9"])
            ensemble_cv.main(["--data", str(cls.tmp / "data"), "--runs", str(a), str(b), "--out",
                              str(cls.tmp / "ensemble.json"), "--threshold", "0.5"])
            export_ensemble.main(["--base", str(cls.multi), "--base-binary", str(cls.binary), "--member", str(member),
                                  "--cv-summary", str(cls.tmp / "ensemble.json"), "--threshold", "0.5",
                                  "--member-description", "tiny", "--training-data", " | member data",
                                  "--out", str(cls.tmp / "ensemble.onnx"), "--version", "9.9.10"])
        cls.report = json.loads(printed.getvalue().strip().splitlines()[-1])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_prob_matches_the_mean_of_both_networks_in_onnx_runtime(self):
        self.assertTrue(self.report["parity"]["ok"])
        self.assertLess(self.report["parity"]["maxAbsDiff"], 1e-5)
        model = onnx.load(str(self.tmp / "ensemble.onnx"))
        self.assertEqual([o.name for o in model.graph.output], ["prob", "consolidation"])
        self.assertEqual([i.name for i in model.graph.input], ["input"])

    def test_consolidation_is_the_base_models_bit_for_bit_and_prob_changes(self):
        sample = self.tmp / "sample"
        sample.mkdir(exist_ok=True)
        torch.rand(4, 1, 32, 32, generator=torch.Generator().manual_seed(7)).numpy().astype("<f4").tofile(sample / "input.bin")
        (sample / "sample.json").write_text(json.dumps({"input_shape": [4, 1, 32, 32]}), encoding="utf-8")
        completed = subprocess.run(["node", str(COMPARE), str(self.multi), str(self.tmp / "ensemble.onnx"), str(sample),
                                    "2"], capture_output=True, text=True, timeout=120, check=True)
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        self.assertEqual(sorted(report["shared"]), ["consolidation", "prob"])
        self.assertEqual(report["outputs"]["consolidation"]["differing"], 0)
        self.assertGreater(report["outputs"]["prob"]["differing"], 0)

    def test_metadata_keeps_the_base_keys_and_carries_the_ensembles_cv_and_threshold(self):
        base, ensemble = read_metadata(self.multi), read_metadata(self.tmp / "ensemble.onnx")
        self.assertEqual(ensemble["covseg.version"], "9.9.10")
        self.assertEqual(ensemble["covseg.threshold"], "0.5")
        for key in ("covseg.classes", "covseg.consolidation_threshold", "covseg.tta", "covseg.min_component_ml",
                    "covseg.input_size", "covseg.window_center"):
            self.assertEqual(ensemble[key], base[key])
        cv = json.loads(ensemble["covseg.cv_metrics"])
        self.assertTrue(cv["cross_validated"])
        self.assertEqual(cv["images"], 10)
        self.assertEqual(cv["classes"], json.loads(base["covseg.cv_metrics"])["classes"])
        members = json.loads(ensemble["covseg.architecture"])["ensemble"]["members"]
        self.assertEqual([m["name"] for m in members], ["base", "member_2"])
        self.assertTrue(ensemble["covseg.training_data"].endswith(" | member data"))

    def test_refuses_a_cv_at_another_threshold_a_base_without_prob_and_a_bad_threshold(self):
        result = json.loads((self.tmp / "ensemble.json").read_text())
        with self.assertRaises(export_ensemble.EnsembleGraftError):
            export_ensemble.binary_metrics_from_ensemble_cv(result, 0.6)
        base = onnx.load(str(self.multi))
        base.graph.output[0].name = "renamed"
        with self.assertRaises(export_ensemble.EnsembleGraftError):
            export_ensemble.graft_member(base, export_ensemble.member_graph(HFlipTTA(_net(8))))
        with self.assertRaises(export_ensemble.EnsembleGraftError):
            export_ensemble.ensemble_metadata({}, version="1", threshold=1.0, binary_metrics={}, members=[],
                                              training_data="")


if __name__ == "__main__":
    unittest.main()

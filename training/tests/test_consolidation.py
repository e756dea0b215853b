"""The multi-class model (issue 12 item 4): the consolidation head on a frozen binary network, the contract's
decision rule, the nested choice of the consolidation threshold, and the two-output ONNX export."""
import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
import torch
from PIL import Image

from covseg_training import consolidation_cli, export_multiclass
from covseg_training.consolidation import (CONSOLIDATION, GGO, ConsolidationHead, HeadTrainConfig, MultiClassNet,
                                           build_feature_cache, masked_bce_dice_loss, predict_consolidation,
                                           train_head)
from covseg_training.consolidation_cv import (class_masks, choose_threshold, dice_by_consolidation_threshold,
                                              nested_cv, to_native)
from covseg_training.dataset import DatasetLayoutError, k_fold_indices
from covseg_training.export_multiclass import GraftError, graft, head_graph, multiclass_metadata
from covseg_training.export_onnx import build_metadata, export_onnx, read_metadata
from covseg_training.multiclass_data import LabelledSlice, decode_labels, load_labelled_slices
from covseg_training.multiclass_report import reliability
from covseg_training.tta import HFlipTTA
from covseg_training.unet import UNet, UNetConfig

COMPARE = Path(__file__).resolve().parent.parent / "compare_models.mjs"
TINY = UNetConfig(base_width=4, depth=2, input_size=32)


def synthetic_slices(count: int = 10, seed: int = 0) -> list[LabelledSlice]:
    """Grey 'lungs' (60) with a faint 'ground-glass' disc (110) and a dense 'consolidation' disc (220)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        h, w = int(rng.integers(40, 56)), int(rng.integers(40, 56))
        yy, xx = np.mgrid[0:h, 0:w]
        labels = np.zeros((h, w), np.uint8)
        for value, radius in ((GGO, rng.uniform(6, 10)), (CONSOLIDATION, rng.uniform(5, 8))):
            cy, cx = rng.uniform(10, h - 10), rng.uniform(10, w - 10)
            labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2] = value
        image = np.choose(labels, [60, 110, 220]) + rng.normal(0, 6, (h, w))
        out.append(LabelledSlice(str(i), np.clip(image, 0, 255).astype(np.uint8), labels))
    return out


def write_slices(root: Path, slices: list[LabelledSlice]) -> None:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir(parents=True)
    for s in slices:
        Image.fromarray(s.image).save(root / "images" / f"{s.name}.png")
        mask = Image.fromarray(s.labels, mode="P")
        # Colours whose grey levels are not the labels: a loader that converts to grey reads them wrong.
        mask.putpalette([0, 0, 0, 255, 255, 0, 255, 0, 0] + [0] * (253 * 3))
        mask.save(root / "masks" / f"{s.name}.png")


def tiny_net(seed: int = 0) -> UNet:
    torch.manual_seed(seed)
    return UNet(TINY).eval()


class HeadTest(unittest.TestCase):
    def test_prob_is_the_binary_flip_tta_output_exactly_and_consolidation_is_the_heads_flip_tta(self):
        net = tiny_net()
        head = ConsolidationHead(TINY.base_width).eval()
        x = torch.rand(3, 1, 32, 32)
        with torch.no_grad():
            context_head = ConsolidationHead(TINY.base_width, context_channels=(2 * TINY.base_width,), dilation=2).eval()
            prob_with_context, _ = MultiClassNet(net, context_head)(x)
            self.assertTrue(torch.equal(prob_with_context, HFlipTTA(net)(x)))
            prob, consolidation = MultiClassNet(net, head)(x)
            self.assertTrue(torch.equal(prob, HFlipTTA(net)(x)))
            f, fm, xm = net.decoder_features(x), net.decoder_features(torch.flip(x, [3])), torch.flip(x, [3])
            expected = (torch.sigmoid(head(f, x)) + torch.flip(torch.sigmoid(head(fm, xm)), [3])) / 2
            torch.testing.assert_close(consolidation, expected)
            self.assertTrue(torch.equal(net.logits(x), net.head(net.decoder_features(x))))
        self.assertEqual(tuple(consolidation.shape), (3, 1, 32, 32))

    def test_the_head_learns_consolidation_from_cached_frozen_features_and_leaves_the_network_alone(self):
        slices = synthetic_slices(8)
        net = tiny_net()
        before = {k: v.clone() for k, v in net.state_dict().items()}
        cache = build_feature_cache(net, slices, augmented_views=2, seed=0)
        self.assertEqual(tuple(cache.train_inputs.shape), (8, 4, TINY.base_width + 1, 32, 32))
        self.assertEqual(cache.train_inputs.dtype, torch.float16)
        head = train_head(cache, list(range(8)), HeadTrainConfig(steps=150, batch=8, crop=24, learning_rate=0.01))
        predicted = predict_consolidation(head, cache, list(range(8)))
        dice = []
        for i, s in enumerate(slices):
            dense = to_native(predicted[i], s.labels.shape) >= 0.5
            truth = s.labels == CONSOLIDATION
            dice.append(2 * np.count_nonzero(dense & truth) / (np.count_nonzero(dense) + np.count_nonzero(truth)))
        self.assertGreater(float(np.mean(dice)), 0.7)
        for key, value in net.state_dict().items():
            self.assertTrue(torch.equal(value, before[key]), key)

    def test_the_infection_only_loss_ignores_every_pixel_outside_the_mask(self):
        target = torch.tensor([[[[1.0, 0.0, 0.0, 1.0]]]])
        mask = torch.tensor([[[[True, True, False, False]]]])
        logits = torch.tensor([[[[2.0, -1.0, 5.0, -7.0]]]])
        changed = logits.clone()
        changed[..., 2:] = torch.tensor([-9.0, 9.0])  # outside the mask: free to be anything
        self.assertAlmostEqual(float(masked_bce_dice_loss(logits, target, mask)), float(masked_bce_dice_loss(changed, target, mask)), places=6)
        inside = logits.clone()
        inside[..., 0] = -2.0  # inside the mask: a worse answer costs more
        self.assertGreater(float(masked_bce_dice_loss(inside, target, mask)), float(masked_bce_dice_loss(logits, target, mask)))
        self.assertEqual(float(masked_bce_dice_loss(logits, target, torch.zeros_like(mask))), 0.0)

    def test_a_head_trained_on_infection_pixels_only_still_splits_the_classes(self):
        slices = synthetic_slices(8)
        cache = build_feature_cache(tiny_net(), slices, augmented_views=2, seed=0)
        head = train_head(cache, list(range(8)), HeadTrainConfig(steps=150, batch=8, crop=24, learning_rate=0.01, loss_on="infection"))
        predicted = predict_consolidation(head, cache, list(range(8)))
        dice = []
        for i, s in enumerate(slices):
            infection = s.labels > 0
            dense = (to_native(predicted[i], s.labels.shape) >= 0.5) & infection
            truth = s.labels == CONSOLIDATION
            dice.append(2 * np.count_nonzero(dense & truth) / (np.count_nonzero(dense) + np.count_nonzero(truth)))
        self.assertGreater(float(np.mean(dice)), 0.7)
        with self.assertRaises(ValueError):
            train_head(cache, [0], HeadTrainConfig(steps=1, loss_on="lungs"))

    def test_the_decision_reads_classes_off_the_union_only(self):
        prob = np.array([[0.9, 0.9, 0.2, 0.7]])
        consolidation = np.array([[0.8, 0.1, 0.99, 0.5]])
        masks = class_masks(prob, consolidation, 0.6, 0.5)
        np.testing.assert_array_equal(masks["union"], [[True, True, False, True]])
        np.testing.assert_array_equal(masks["consolidation"], [[True, False, False, True]])
        np.testing.assert_array_equal(masks["ggo"], [[False, True, False, False]])


class NestedThresholdTest(unittest.TestCase):
    def test_picks_the_best_mean_of_ggo_and_consolidation_dice_and_breaks_ties_toward_one_half(self):
        sweeps = [{0.3: (0.5, 0.5), 0.5: (0.9, 0.1), 0.7: (0.6, 0.6)}, {0.3: (0.5, 0.5), 0.5: (0.5, 0.5), 0.7: (0.6, 0.6)}]
        self.assertEqual(choose_threshold(sweeps), 0.7)
        self.assertEqual(choose_threshold([{0.3: (1.0, 0.0), 0.5: (0.5, 0.5), 0.6: (0.0, 1.0)}]), 0.5)
        with self.assertRaises(ValueError):
            choose_threshold([])

    def test_sweeps_score_an_image_without_consolidation_one_when_none_is_predicted(self):
        labels = np.array([[GGO, GGO, 0]], np.uint8)
        sweep = dice_by_consolidation_threshold(np.array([[0.9, 0.9, 0.1]]), np.array([[0.2, 0.6, 0.9]]), labels, 0.6, [0.5, 0.7])
        self.assertEqual(sweep[0.7], (1.0, 1.0))
        self.assertAlmostEqual(sweep[0.5][0], 2 / 3)
        self.assertEqual(sweep[0.5][1], 0.0)

    def test_a_folds_threshold_never_depends_on_that_folds_own_labels(self):
        slices = synthetic_slices(10, seed=2)
        folds = k_fold_indices(len(slices), 5, 0)
        held = set(folds[0][1])
        # The same images, with fold 0's consolidation relabelled as ground glass.
        altered = [LabelledSlice(s.name, s.image, np.where(s.labels > 0, GGO, 0).astype(np.uint8)) if i in held else s
                   for i, s in enumerate(slices)]
        config = HeadTrainConfig(steps=20, batch=4, crop=24)
        runs = []
        for labelled in (slices, altered):
            cache = build_feature_cache(tiny_net(), labelled, augmented_views=1, seed=0)
            runs.append(nested_cv(cache, labelled, config, 0.5, folds=5, inner_folds=2, log=lambda _: None))
        self.assertEqual(runs[0]["thresholds_chosen"][0], runs[1]["thresholds_chosen"][0])
        first = [r for r in runs[0]["per_image"] if r["fold"] == 0]
        second = [r for r in runs[1]["per_image"] if r["fold"] == 0]
        self.assertNotEqual([r["consolidation_dice"] for r in first], [r["consolidation_dice"] for r in second])
        self.assertEqual(sorted(runs[0]["maps"]), sorted(s.name for s in slices))


class ReliabilityTest(unittest.TestCase):
    def test_a_calibrated_prediction_has_a_small_error_and_an_overconfident_one_a_large_one(self):
        rng = np.random.default_rng(0)
        p = rng.uniform(0, 1, 200_000)
        calibrated = reliability(p, rng.uniform(0, 1, p.size) < p)
        self.assertLess(calibrated["ece"], 0.01)
        self.assertEqual(calibrated["pixels"], p.size)
        overconfident = reliability(np.full(1000, 0.95), np.arange(1000) % 2 == 0)
        self.assertAlmostEqual(overconfident["ece"], 0.45, places=4)
        self.assertEqual(overconfident["count"][9], 1000)
        self.assertEqual(overconfident["observed"][9], 0.5)


class LabelMaskTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_reads_palette_indices_not_palette_colours(self):
        slices = synthetic_slices(2)
        write_slices(self.tmp, slices)
        loaded = load_labelled_slices(self.tmp / "images", self.tmp / "masks")
        for s, l in zip(slices, loaded):
            np.testing.assert_array_equal(l.labels, s.labels)
            np.testing.assert_array_equal(l.mask, s.labels > 0)

    def test_refuses_a_label_that_is_not_0_1_or_2(self):
        Image.fromarray(np.full((4, 4), 3, np.uint8), mode="L").save(self.tmp / "bad.png")
        with self.assertRaises(DatasetLayoutError):
            decode_labels(self.tmp / "bad.png")


class MultiClassExportTest(unittest.TestCase):
    """A tiny binary model exported as the project exports it, a head trained by the CLI, and the grafted model."""

    HEAD_OPTIONS: list[str] = []

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        write_slices(cls.tmp / "data", synthetic_slices(10, seed=4))
        cls.net = tiny_net(3)
        cls.base = cls.tmp / "binary.onnx"
        export_onnx(HFlipTTA(cls.net), cls.base, build_metadata(TINY, trained=True, threshold=0.5, tta="hflip",
                                                                 cv_metrics={"binary": 1}, min_component_ml=0.5))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            consolidation_cli.main(["--onnx", str(cls.base), "--images", str(cls.tmp / "data" / "images"),
                                    "--masks", str(cls.tmp / "data" / "masks"), "--out", str(cls.tmp / "head"),
                                    "--augmented-views", "1", "--steps", "30", "--batch", "4", "--crop", "24",
                                    "--folds", "5", "--inner-folds", "2", *cls.HEAD_OPTIONS])
            export_multiclass.main(["--base", str(cls.base), "--head", str(cls.tmp / "head" / "head.pt"),
                                    "--cv-summary", str(cls.tmp / "head" / "cv-summary.json"),
                                    "--out", str(cls.tmp / "multi.onnx"), "--version", "9.9.9"])
        cls.report = json.loads(printed.getvalue().strip().splitlines()[-1])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_both_outputs_match_pytorch_in_onnx_runtime(self):
        parity = self.report["parity"]
        self.assertTrue(parity["ok"])
        self.assertLess(parity["maxAbsDiffByOutput"]["prob"], 1e-5)
        self.assertLess(parity["maxAbsDiffByOutput"]["consolidation"], 1e-5)
        model = onnx.load(str(self.tmp / "multi.onnx"))
        self.assertEqual([o.name for o in model.graph.output], ["prob", "consolidation"])
        self.assertEqual([i.name for i in model.graph.input], ["input"])

    def test_prob_is_the_binary_models_output_bit_for_bit(self):
        sample = self.tmp / "sample"
        sample.mkdir()
        torch.rand(5, 1, 32, 32, generator=torch.Generator().manual_seed(7)).numpy().astype("<f4").tofile(sample / "input.bin")
        (sample / "sample.json").write_text(json.dumps({"input_shape": [5, 1, 32, 32]}), encoding="utf-8")
        completed = subprocess.run(["node", str(COMPARE), str(self.base), str(self.tmp / "multi.onnx"), str(sample), "2"],
                                   capture_output=True, text=True, timeout=120, check=True)
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        self.assertEqual(report["shared"], ["prob"])
        self.assertEqual(report["onlyB"], ["consolidation"])
        self.assertEqual(report["outputs"]["prob"]["differing"], 0)
        self.assertEqual(report["outputs"]["prob"]["elements"], 5 * 32 * 32)

    def test_metadata_keeps_every_binary_key_and_adds_the_contracts_multi_class_keys(self):
        base, multi = read_metadata(self.base), read_metadata(self.tmp / "multi.onnx")
        self.assertEqual(multi["covseg.version"], "9.9.9")
        self.assertEqual(multi["covseg.classes"], "ggo,consolidation")
        threshold = float(multi["covseg.consolidation_threshold"])
        self.assertTrue(0 < threshold <= 1)
        self.assertEqual(threshold, json.loads((self.tmp / "head" / "cv-summary.json").read_text())["final_threshold"])
        for key in base:
            self.assertIn(key, multi)
        for key in ("covseg.threshold", "covseg.tta", "covseg.min_component_ml", "covseg.input_size", "covseg.window_center"):
            self.assertEqual(multi[key], base[key])
        cv = json.loads(multi["covseg.cv_metrics"])
        self.assertEqual(cv["binary"], 1)
        self.assertEqual(set(cv["classes"]) >= {"ggo", "consolidation", "union"}, True)
        self.assertTrue(cv["classes"]["binary_network_saw_every_slice"])
        self.assertEqual(len(cv["classes"]["consolidation_thresholds_chosen"]), 5)
        self.assertIn("consolidation_head", json.loads(multi["covseg.architecture"]))

    def test_refuses_a_base_without_the_flip_tta_and_a_threshold_outside_0_1(self):
        plain = self.tmp / "plain.onnx"
        export_onnx(self.net, plain, build_metadata(TINY, trained=True))
        with self.assertRaises(GraftError):
            graft(onnx.load(str(plain)), head_graph(ConsolidationHead(4), 4, 1, 32))
        with self.assertRaises(GraftError):
            multiclass_metadata({}, version="1", consolidation_threshold=0.0, class_metrics={}, head_description={})


class ContextHeadExportTest(MultiClassExportTest):
    """The same with a head that also reads a coarser decoder output (resized in the graph) and a dilated 3x3."""

    HEAD_OPTIONS = ["--context-levels", "1", "--dilation", "2", "--batch", "2"]

    def test_the_head_reads_the_coarser_decoder_output_of_each_pass(self):
        architecture = json.loads(read_metadata(self.tmp / "multi.onnx")["covseg.architecture"])
        self.assertEqual(architecture["consolidation_head"]["context_channels"], [2 * TINY.base_width])
        self.assertEqual(architecture["consolidation_head"]["dilation"], 2)
        model = onnx.load(str(self.tmp / "multi.onnx"))
        resizes = [n for n in model.graph.node if n.op_type == "Resize"]
        self.assertEqual(len(resizes), 2)



class DensityHeadExportTest(MultiClassExportTest):
    """The same with a head trained on infection pixels only that also reads local image means (AveragePool in
    the graph): ORT still matches PyTorch and `prob` is still the binary output bit for bit."""

    HEAD_OPTIONS = ["--loss-on", "infection", "--image-pools", "5,9"]

    def test_the_head_reads_local_image_means_of_each_pass(self):
        architecture = json.loads(read_metadata(self.tmp / "multi.onnx")["covseg.architecture"])
        self.assertEqual(architecture["consolidation_head"]["image_pools"], [5, 9])
        model = onnx.load(str(self.tmp / "multi.onnx"))
        pools = [n for n in model.graph.node if n.op_type == "AveragePool"]
        self.assertEqual(len(pools), 4)
        self.assertEqual(json.loads((self.tmp / "head" / "cv-summary.json").read_text())["slices"], 10)
        with self.assertRaises(ValueError):
            ConsolidationHead(4, image_pools=(4,))

if __name__ == "__main__":
    unittest.main()

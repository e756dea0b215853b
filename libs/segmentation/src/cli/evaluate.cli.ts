// `npm run evaluate -- --images DIR --masks DIR [--multiclass] [--out DIR] [--model FILE] [--threads N]`
// Prints one line per image, then the summary as one JSON object on the LAST line of stdout.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentationModel } from '../inference/segmentation-model';
import type { DatasetMetrics } from '../metrics/metrics';
import { evaluateFolder } from './evaluate';

const round = (v: number) => Math.round(v * 1e6) / 1e6;
const rounded = (m: DatasetMetrics) => ({
  dice: round(m.dice),
  iou: round(m.iou),
  precision: round(m.precision),
  recall: round(m.recall),
  specificity: round(m.specificity),
  pooledDice: round(m.pooledDice),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      masks: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string', default: 'models/covseg-unet.onnx' },
      threads: { type: 'string' },
      multiclass: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.images || !values.masks) {
    process.stderr.write('usage: npm run evaluate -- --images DIR --masks DIR [--multiclass] [--out DIR] [--model FILE] [--threads N]\n');
    process.exitCode = 2;
    return;
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const model = await SegmentationModel.load(resolve(values.model!), threads === undefined ? {} : { intraOpThreads: threads });
  try {
    if (!model.trained) process.stderr.write(`note: model ${model.name} ${model.version} is marked UNTRAINED; its scores mean nothing\n`);
    const options = { imagesDir: values.images, masksDir: values.masks, multiclass: values.multiclass === true, ...(values.out ? { outDir: values.out } : {}) };
    const report = await evaluateFolder(model, options, (r) => {
      const perClass = r.classes ? `\tggoDice=${r.classes.ggo.dice.toFixed(4)}\tconsolidationDice=${r.classes.consolidation.dice.toFixed(4)}` : '';
      process.stdout.write(`${r.image}\tdice=${r.dice.toFixed(4)}\tiou=${r.iou.toFixed(4)}\tprecision=${r.precision.toFixed(4)}\trecall=${r.recall.toFixed(4)}${perClass}\n`);
    });
    const s = report.summary;
    const summary = {
      n: s.n,
      dice: round(s.dice),
      iou: round(s.iou),
      precision: round(s.precision),
      recall: round(s.recall),
      specificity: round(s.specificity),
      pooledDice: round(s.pooledDice),
      // --multiclass: the same figures per class (label 1 GGO, 2 consolidation); the ones above are the union.
      ...(report.classes ? { classes: Object.fromEntries(Object.entries(report.classes).map(([name, m]) => [name, rounded(m)])) } : {}),
      model: { name: model.name, version: model.version, trained: model.trained },
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await model.release();
  }
}

main().catch((error: unknown) => {
  const e = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`evaluate: ${e.name}: ${e.message}${e.cause instanceof Error ? ` (cause: ${e.cause.message})` : ''}\n`);
  process.exitCode = 1;
});

// Infection through the server's own volume path (segmentVolume: lung mask, framing, model, threshold,
// lung clipping, the model's 3-D speck removal, quantification) on every CT series at hand. Not part of
// `npm test`. On series without COVID-19 the figure is the false-positive rate; on the COVID-positive
// RICORD slabs it shows the model still finds disease.
//   node scripts/run-ts.mjs bench/false-positive-check.ts [--model FILE] [NAME=SERIES_DIR ...]
// Without series: LIDC-IDRI-0001 (the committed fixture) and the series of ../shared/data/ct, unpacked
// into the temp folder. One JSON line per series.
import { parseArgs } from 'node:util';
import { SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { dicomFilesUnder, loadCtSeries, sharedCtSeries } from './ct-series-volume';


async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { model: { type: 'string', default: 'models/covseg-unet.onnx' } }, allowPositionals: true });
  const series = positionals.length > 0
    ? positionals.map((spec) => {
        const [name, dir] = spec.includes('=') ? spec.split('=') : [spec, spec];
        return { name: name!, paths: dicomFilesUnder(dir!) };
      })
    : sharedCtSeries();
  const model = await SegmentationModel.load(values.model!, { batchSize: 8 });
  console.log(JSON.stringify({ model: `${model.name} ${model.version}`, threshold: model.contract.threshold, minComponentMl: model.contract.minComponentMl }));
  for (const { name, paths } of series) {
    const volume = await loadCtSeries(paths);
    const result = await segmentVolume(model, volume);
    const q = result.quantification;
    console.log(JSON.stringify({
      series: name,
      slices: volume.slices,
      lungMl: +q.lungMl.toFixed(1),
      infectionMl: +q.infectionMl.toFixed(1),
      involvementPercent: +q.percentInvolved.toFixed(3),
      slicesInferred: result.slicesInferred,
      inferMsPerSlice: +(result.timings.inferMs / Math.max(1, result.slicesInferred)).toFixed(1),
    }));
  }
  await model.release();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

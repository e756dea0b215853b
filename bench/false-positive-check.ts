// Infection through the server's own volume path (segmentVolume: lung mask, framing, model, threshold,
// lung clipping, the model's 3-D speck removal, quantification) on every CT series at hand. Not part of
// `npm test`. On series without COVID-19 the figure is the false-positive rate; on the COVID-positive
// RICORD slabs it shows the model still finds disease.
//   node scripts/run-ts.mjs bench/false-positive-check.ts [--model FILE] [NAME=SERIES_DIR ...]
// Without series: LIDC-IDRI-0001 (the committed fixture) and the series of ../shared/data/ct, unpacked
// into the temp folder. One JSON line per series.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { lidcSlicePaths } from '../tests/support/lidc-fixture';
import { dicomFilesUnder, loadCtSeries } from './ct-series-volume';

function sharedSeries(): { name: string; paths: string[] }[] {
  const data = resolve(__dirname, '../../shared/data/ct');
  const cache = join(tmpdir(), 'covseg-shared-ct');
  const out: { name: string; paths: string[] }[] = [{ name: 'lidc-idri-0001', paths: lidcSlicePaths() }];
  if (!existsSync(data)) return out;
  mkdirSync(cache, { recursive: true });
  for (const archive of ['lidc-idri-0002', 'lung-pet-ct-dx-a0002', 'ricord-slabs']) {
    if (!existsSync(join(data, `${archive}.tar.xz`))) continue;
    if (!existsSync(join(cache, archive))) {
      mkdirSync(join(cache, archive));
      execFileSync('tar', ['-xJf', join(data, `${archive}.tar.xz`), '-C', join(cache, archive)]);
    }
    if (archive !== 'ricord-slabs') {
      out.push({ name: archive, paths: dicomFilesUnder(join(cache, archive)) });
      continue;
    }
    for (const [group, label] of [['covid_negative_data', 'negative'], ['covid_positive_data', 'positive']] as const) {
      for (const p of [1, 2, 3, 4, 5]) {
        const folder = join(cache, archive, 'ricord-slabs', group, `patient_${p}`);
        if (existsSync(folder)) out.push({ name: `ricord-${label}-${p}`, paths: dicomFilesUnder(folder) });
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { model: { type: 'string', default: 'models/covseg-unet.onnx' } }, allowPositionals: true });
  const series = positionals.length > 0
    ? positionals.map((spec) => {
        const [name, dir] = spec.includes('=') ? spec.split('=') : [spec, spec];
        return { name: name!, paths: dicomFilesUnder(dir!) };
      })
    : sharedSeries();
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

// Hard negatives for training (issue 12): slices of CT series WITHOUT COVID-19, framed exactly as the
// server frames them for the model (frameVolumeForTraining: segmentVolume's lung mask, per-slice lung frame
// and window, docs/CONTRACTS.md §1 steps 1-2), written in the training layout with EMPTY masks:
//   OUT/images/<series>_<z>.png (8-bit grey crop)   OUT/masks/<series>_<z>.png (all 0)
// Steps 3-4 (resize, x/255) are the trainer's, as for every training slice.
//   node scripts/run-ts.mjs bench/hard-negatives.ts --out DIR [--every N] [--model FILE] NAME=SERIES_DIR ...
// SERIES_DIR holds the DICOM files of one series (searched recursively). --every N keeps every N-th framed
// slice (thin-slice series repeat themselves). Prints one JSON line per series. Never give it LIDC-IDRI-0001:
// that scan is the demo's fixed false-positive figure and must stay unseen.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePng, frameVolumeForTraining, SegmentationModel } from '@covseg/segmentation';
import { dicomFilesUnder, loadCtSeries } from './ct-series-volume';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { out: { type: 'string' }, every: { type: 'string', default: '1' }, model: { type: 'string', default: 'models/covseg-unet.onnx' } },
    allowPositionals: true,
  });
  if (!values.out || positionals.length === 0) throw new Error('usage: hard-negatives.ts --out DIR [--every N] NAME=SERIES_DIR ...');
  const every = Math.max(1, Number(values.every));
  // The framing parameters (window, margin, minimum frame and lung area) are the served model's contract.
  const model = await SegmentationModel.load(values.model!, { batchSize: 1 });
  const contract = model.contract;
  await model.release();
  mkdirSync(join(values.out, 'images'), { recursive: true });
  mkdirSync(join(values.out, 'masks'), { recursive: true });
  for (const spec of positionals) {
    const [name, dir] = spec.split('=');
    if (!name || !dir || /lidc-idri-0001/i.test(name + dir)) throw new Error(`hard negatives: refusing series "${spec}" (NAME=DIR, never LIDC-IDRI-0001)`);
    const volume = await loadCtSeries(dicomFilesUnder(dir));
    const framed = frameVolumeForTraining(volume, contract);
    let written = 0;
    let framedCount = 0;
    for (let z = 0; z < volume.slices; z++) {
      const frame = framed.frames[z];
      if (!frame) continue;
      if (framedCount++ % every !== 0) continue;
      const stem = `${name}_${z}`;
      writeFileSync(join(values.out, 'images', `${stem}.png`), await encodePng(framed.windowedCrop(z), frame.width, frame.height, 1));
      writeFileSync(join(values.out, 'masks', `${stem}.png`), await encodePng(new Uint8Array(frame.width * frame.height), frame.width, frame.height, 1));
      written++;
    }
    console.log(JSON.stringify({ series: name, slices: volume.slices, framed: framedCount, written }));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

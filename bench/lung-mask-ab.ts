// Interleaved A/B of the lung mask's CPU time (not part of `npm test`):
//   flock /tmp/covseg-bench.lock node scripts/run-ts.mjs bench/lung-mask-ab.ts OLD_LUNG_DIR NEW_LUNG_DIR [--rounds N] [--only NAME]
// Each *_LUNG_DIR holds a version of libs/segmentation/src/lung (e.g. `git archive <commit>
// libs/segmentation/src/lung | tar -x -C DIR`, with libs/segmentation/src/errors.ts copied beside it as
// ../errors.ts). Load both from copies: the same code ran ~30 % slower from a copied folder than from
// libs/ (LIDC-IDRI-0001, 2193 vs 1615 ms median), so an in-tree "new" against a copied "old" flatters the new.
// Per series and round, both masks run back to back in alternating order; prints each one's CPU ms per
// round and the medians, and whether their labels agree voxel for voxel.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { computeLungMask, type CtVolumeInput } from '@covseg/segmentation';
import { loadCtSeries, sharedCtSeries } from './ct-series-volume';

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, only: { type: 'string' } }, allowPositionals: true });

async function main(): Promise<void> {
  if (positionals.length !== 2) throw new Error('usage: lung-mask-ab.ts OLD_LUNG_DIR NEW_LUNG_DIR [--rounds N] [--only NAME]');
  type Masker = { computeLungMask: typeof computeLungMask };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const [old, current] = positionals.map((dir) => require(resolve(dir, 'lung-mask.ts')) as Masker) as [Masker, Masker];
  for (const { name, paths } of sharedCtSeries()) {
    if (values.only && !name.includes(values.only)) continue;
    const v = await loadCtSeries(paths);
    const options = { columnsIncreaseTowardPatientLeft: v.columnsIncreaseTowardPatientLeft!, slicesIncreaseTowardHead: v.slicesIncreaseTowardHead!, rowsIncreaseTowardPosterior: v.rowsIncreaseTowardPosterior! };
    const run = (f: typeof computeLungMask, volume: CtVolumeInput) => {
      const t = process.cpuUsage();
      const lung = f(volume.hu, volume, volume, options);
      const c = process.cpuUsage(t);
      return { ms: (c.user + c.system) / 1000, side: lung.side };
    };
    const times = { old: [] as number[], new: [] as number[] };
    let same = true;
    for (let r = 0; r < Number(values.rounds); r++) {
      const order = r % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const);
      const sides: Record<string, Uint8Array> = {};
      for (const which of order) {
        const { ms, side } = run(which === 'old' ? old.computeLungMask : current.computeLungMask, v);
        times[which].push(Math.round(ms));
        sides[which] = side;
      }
      same &&= Buffer.compare(Buffer.from(sides.old!), Buffer.from(sides.new!)) === 0;
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log(JSON.stringify({ series: name, oldMs: times.old, newMs: times.new, oldMedianMs: median(times.old), newMedianMs: median(times.new), identicalLabels: same }));
  }
}

void main();

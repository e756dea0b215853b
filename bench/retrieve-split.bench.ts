// node scripts/run-ts.mjs bench/retrieve-split.bench.ts [--series DIR|NAME] [--rounds N] — is a transcoded
// series retrieve faster split over concurrent requests? WADO-RS has no "these instances of the series"
// request, so a split retrieve is one request per instance; this measures, against a fresh local Orthanc
// (DCMTK transcoding, no GDCM), the series retrieved into memory: as stored in one request; transcoded to
// Explicit VR Little Endian in one request; transcoded one instance per request, 1 and 2 at a time.
// Rounds are interleaved so that load changes hit every variant alike; prints the median of each.
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DicomwebClient, getJsonString, readTransferSyntaxUID } from '@covseg/dicom';
import { OrthancInstance } from '../tests/support/orthanc';
import { benchSeries, benchSeriesNames, type BenchSeriesName } from './bench-set';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

async function main(): Promise<void> {
  const value = option('--series', 'lidc-0001-jpeg-lossless');
  const dir = (benchSeriesNames as readonly string[]).includes(value) ? await benchSeries(value as BenchSeriesName) : resolve(value);
  const rounds = Number(option('--rounds', '3'));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => join(dir, f));
  const orthanc = await OrthancInstance.start();
  try {
    await orthanc.upload(files);
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl, retries: 0, timeoutMs: 120_000 });
    const [study] = await client.searchStudies();
    const studyUID = getJsonString(study!, 'StudyInstanceUID')!;
    const [series] = await client.searchSeries(studyUID);
    const seriesUID = getJsonString(series!, 'SeriesInstanceUID')!;
    const instances = (await client.searchInstances(studyUID, seriesUID)).map((i) => getJsonString(i, 'SOPInstanceUID')!);
    const stored = await client.getStoredTransferSyntax(studyUID, seriesUID);

    const perInstance = async (concurrency: number): Promise<Uint8Array[]> => {
      const out: Uint8Array[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < instances.length) {
            const uid = instances[next++]!;
            out.push(await client.retrieveInstance(studyUID, seriesUID, uid, { transferSyntax: EXPLICIT_LE }));
          }
        }),
      );
      return out;
    };
    const variants: Record<string, () => Promise<Uint8Array[]>> = {
      'as stored, 1 request': () => client.retrieveSeries(studyUID, seriesUID),
      'transcoded, 1 request': () => client.retrieveSeries(studyUID, seriesUID, { transferSyntax: EXPLICIT_LE }),
      'transcoded, per instance x1': () => perInstance(1),
      'transcoded, per instance x2': () => perInstance(2),
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, run] of Object.entries(variants)) {
        const t0 = performance.now();
        const parts = await run();
        times[name]!.push(performance.now() - t0);
        if (parts.length !== instances.length) throw new Error(`${name}: ${parts.length} instances, expected ${instances.length}`);
        const syntax = readTransferSyntaxUID(parts[0]!);
        if (name.startsWith('transcoded') && syntax !== EXPLICIT_LE) throw new Error(`${name}: received ${syntax}`);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    process.stdout.write(`retrieve of ${instances.length} instances stored as ${stored}, ${rounds} interleaved rounds, load average ${loadavg()[0]!.toFixed(2)}\n`);
    for (const [name, values] of Object.entries(times)) {
      process.stdout.write(`  ${name.padEnd(30)} median ${(median(values) / 1000).toFixed(3)} s   (${values.map((v) => (v / 1000).toFixed(3)).join(', ')})\n`);
    }
    process.stdout.write(`${JSON.stringify({ instances: instances.length, stored, loadAverage: loadavg()[0], medianSeconds: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v) / 1000])) })}\n`);
  } finally {
    orthanc.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

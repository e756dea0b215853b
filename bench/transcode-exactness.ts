// node scripts/run-ts.mjs bench/transcode-exactness.ts [--series DIR|NAME] [--gdcm] — are the HU of a series
// the PACS transcoded to Explicit VR Little Endian bit-identical to our own decode of it as stored? Loads the
// series into a fresh local Orthanc (with orthanc-gdcm when --gdcm: JPEG 2000; it can crash this Debian
// Orthanc, see scripts/orthanc.sh), streams it both ways into a CT volume exactly as a job does, and prints
// the SHA-256 of both HU volumes and what arrived. The medium test retrieve-transfer-syntax.test.ts proves
// it on JPEG Lossless without GDCM; this is for JPEG 2000, which our tests cannot transcode.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CtVolumeStream, DicomwebClient, FrameDecodePool, getJsonString } from '@covseg/dicom';
import { OrthancInstance } from '../tests/support/orthanc';
import { benchSeries, benchSeriesNames, type BenchSeriesName } from './bench-set';

async function main(): Promise<void> {
  const at = process.argv.indexOf('--series');
  const value = at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : 'lidc-0001-j2k-lossless';
  const dir = (benchSeriesNames as readonly string[]).includes(value) ? await benchSeries(value as BenchSeriesName) : resolve(value);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => join(dir, f));
  const orthanc = await OrthancInstance.start({ gdcm: process.argv.includes('--gdcm') });
  const pool = new FrameDecodePool({ threads: 2 });
  try {
    await orthanc.upload(files);
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl, retries: 0, timeoutMs: 300_000 });
    const [study] = await client.searchStudies();
    const studyUID = getJsonString(study!, 'StudyInstanceUID')!;
    const [series] = await client.searchSeries(studyUID);
    const seriesUID = getJsonString(series!, 'SeriesInstanceUID')!;
    const results: Record<string, { sha256: string; received: Record<string, number>; slices: number }> = {};
    for (const transferSyntax of ['*', '1.2.840.10008.1.2.1']) {
      const stream = new CtVolumeStream({ pool, expectedSlices: files.length });
      await client.streamSeries(studyUID, seriesUID, stream, { transferSyntax });
      const received = stream.transferSyntaxes;
      const volume = await stream.finish();
      const sha256 = createHash('sha256').update(new Uint8Array(volume.hu.buffer, volume.hu.byteOffset, volume.hu.byteLength)).digest('hex');
      results[transferSyntax] = { sha256, received, slices: volume.geometry.slices };
      process.stdout.write(`asked ${transferSyntax.padEnd(20)} received ${JSON.stringify(received)}  HU SHA-256 ${sha256}\n`);
    }
    const same = results['*']!.sha256 === results['1.2.840.10008.1.2.1']!.sha256;
    process.stdout.write(`${same ? 'IDENTICAL' : 'DIFFERENT'} HU\n${JSON.stringify({ series: value, identical: same, results })}\n`);
    if (!same) process.exitCode = 1;
  } finally {
    await pool.close();
    orthanc.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`transcode-exactness: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

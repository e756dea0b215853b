// node scripts/run-ts.mjs bench/orthanc-keepalive.bench.ts [--rounds N] — not part of `npm test`.
// Why scripts/orthanc.sh starts Orthanc with KeepAlive false: a busy client (our API under load, its
// event loop late) pauses mid-body while reading a WADO-RS instance. With KeepAlive, Orthanc 1.10
// (Debian) then closes the connection mid-answer ("other side closed"; the viewer saw "terminated").
// For KeepAlive true and false, a real Orthanc holding the load bench's 40 LIDC-IDRI-0001 slices (re-UIDed) gets N rounds of 5
// concurrent reads of one instance, each pausing 0.6-2.6 s after its first chunk, beside 4 reads of the
// series' metadata (as a viewer opening studies does; without them no answer was cut). The LAST stdout line is
// one JSON object: {"keepAlive":{"true":{"reads","cut"},"false":{"reads","cut"}}}.
import { lidcSlices } from '../tests/support/lidc-fixture';
import { reUid } from './re-uid';
import { OrthancInstance } from '../tests/support/orthanc';

const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 8;
const ACCEPT = 'multipart/related; type="application/dicom"';

async function readWithPause(url: string): Promise<'whole' | string> {
  try {
    const response = await fetch(url, { headers: { accept: ACCEPT } });
    const reader = response.body!.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 600 + Math.random() * 2000));
    for (;;) if ((await reader.read()).done) return 'whole';
  } catch (error) {
    return String((error as Error).cause ?? error);
  }
}

async function measure(keepAlive: boolean): Promise<{ reads: number; cut: number; reasons: string[] }> {
  process.env.ORTHANC_KEEP_ALIVE = String(keepAlive);
  const orthanc = await OrthancInstance.start();
  try {
    const series = reUid(lidcSlices(40, 45), 0);
    await orthanc.upload(series.files);
    const sop = (await orthanc.findInstances({ StudyInstanceUID: series.studyInstanceUID }))[0];
    const url = `${orthanc.dicomwebUrl}/studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/instances/${sop}`;
    const outcomes: string[] = [];
    const metadata = `${orthanc.dicomwebUrl}/studies/${series.studyInstanceUID}/series/${series.seriesInstanceUID}/metadata`;
    for (let round = 0; round < ROUNDS; round++) {
      const beside = Array.from({ length: 4 }, () => fetch(metadata).then((r) => r.arrayBuffer()));
      outcomes.push(...(await Promise.all(Array.from({ length: 5 }, () => readWithPause(url)))));
      await Promise.all(beside);
    }
    const failures = outcomes.filter((o) => o !== 'whole');
    return { reads: outcomes.length, cut: failures.length, reasons: [...new Set(failures)] };
  } finally {
    orthanc.destroy();
  }
}

async function main(): Promise<void> {
  const withKeepAlive = await measure(true);
  const without = await measure(false);
  process.stderr.write(`KeepAlive true: ${withKeepAlive.cut} of ${withKeepAlive.reads} reads cut (${withKeepAlive.reasons.join('; ')}); KeepAlive false: ${without.cut} of ${without.reads}\n`);
  process.stdout.write(`${JSON.stringify({ keepAlive: { true: { reads: withKeepAlive.reads, cut: withKeepAlive.cut }, false: { reads: without.reads, cut: without.cut } } })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`orthanc-keepalive bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

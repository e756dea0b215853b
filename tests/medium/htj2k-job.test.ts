import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomwebClient, newUid } from '@covseg/dicom';
import { transcodeToHtj2k } from '../support/htj2k';
import { runSeriesJob, segLabelmapHash } from '../support/jobs';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { startTestServer, type TestServer } from '../support/server';

/**
 * A series stored as HTJ2K Lossless (.4.201) in a real Orthanc (1.10, which stores it but cannot
 * transcode it): 24 LIDC-IDRI-0001 slices re-encoded by Grok (`grk_compress -M 64`, tests/support/htj2k.ts),
 * next to the same slices uncompressed under UIDs of their own. A job on each must give the same SEG.
 */
const FIRST_SLICE = 40;
const SLICES = 24;
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';

interface Variant {
  study: string;
  series: string;
}

describe('a job on a series stored as HTJ2K', () => {
  let orthanc: OrthancInstance;
  let server: TestServer | undefined;
  let work: string;
  const variants = {} as Record<'native' | 'htj2k', Variant>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'covseg-htj2k-job-'));
    orthanc = await OrthancInstance.start();
    for (const name of ['native', 'htj2k'] as const) {
      const variant = { study: newUid(), series: newUid() };
      const files: Uint8Array[] = [];
      for (const [i, bytes] of lidcSlices(SLICES, FIRST_SLICE).entries()) {
        const plain = join(work, `${name}-${i}.dcm`);
        writeFileSync(plain, bytes);
        execFileSync('dcmodify', ['-nb', '-m', `(0020,000D)=${variant.study}`, '-m', `(0020,000E)=${variant.series}`, '-m', `(0008,0018)=${newUid()}`, plain]);
        const native = new Uint8Array(readFileSync(plain));
        files.push(name === 'htj2k' ? await transcodeToHtj2k(native) : native);
      }
      await orthanc.upload(files);
      variants[name] = variant;
    }
  });

  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('retrieves it as stored (never asking the PACS to transcode HTJ2K), decodes it and writes the SEG of the uncompressed series', async () => {
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl });
    expect(await client.getStoredTransferSyntax(variants.htj2k.study, variants.htj2k.series)).toBe(HTJ2K_LOSSLESS);
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });

    const native = await runSeriesJob(server, variants.native);
    expect(native.result.retrieve).toEqual({ requested: '*', storedTransferSyntaxUID: EXPLICIT_LE, instances: SLICES, receivedTransferSyntaxes: { [EXPLICIT_LE]: SLICES } });
    const htj2k = await runSeriesJob(server, variants.htj2k);
    expect(htj2k.result.retrieve).toEqual({ requested: '*', storedTransferSyntaxUID: HTJ2K_LOSSLESS, instances: SLICES, receivedTransferSyntaxes: { [HTJ2K_LOSSLESS]: SLICES } });

    expect(native.result.quantification.lungVolumeMl).toBeGreaterThan(100);
    expect(await segLabelmapHash(orthanc.dicomwebUrl, variants.htj2k.study, htj2k)).toBe(await segLabelmapHash(orthanc.dicomwebUrl, variants.native.study, native));
    expect(htj2k.result.quantification).toEqual(native.result.quantification);
  });
});

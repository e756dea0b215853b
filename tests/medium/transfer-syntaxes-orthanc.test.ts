import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom } from '@covseg/dicom';
import { OrthancInstance } from '../support/orthanc';

/**
 * Cross-checks our decoders against a second implementation: a real Orthanc (DCMTK inside) transcodes
 * each compressed fixture to Explicit VR Little Endian, and our decode of the compressed file must
 * match our decode of Orthanc's native file. Orthanc 1.10 without the GDCM plugin cannot decode
 * JPEG 2000, so those are covered by tests/medium/transfer-syntaxes.test.ts only.
 */
const fixtures = join(__dirname, '../fixtures/transfer-syntaxes');
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Fixture, and the largest difference in stored value accepted against DCMTK's decode. */
const cases: Array<[string, number]> = [
  ['cornerstone-ctimage/RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm', 0],
  ['cornerstone-ctimage/JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm', 0],
  ['cornerstone-ctimage/JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm', 0],
  ['cornerstone-ctimage/JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm', 0],
  // JPEG-LS near-lossless decoding is exact integer arithmetic: any decoder gives the same values.
  ['cornerstone-ctimage/JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm', 0],
  ['nema-wg04/CT2_JLSN.dcm', 0],
  ['nema-wg04/CT2_JPLL.dcm', 0],
  // Baseline JPEG: libjpeg-turbo and DCMTK's IJG code use different IDCTs, so allow 1 step.
  ['cornerstone-ctimage/JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm', 1],
];

describe('decoding agrees with Orthanc (DCMTK) transcoding to Explicit VR Little Endian', () => {
  let orthanc: OrthancInstance;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
  });

  afterAll(() => orthanc?.destroy());

  async function transcodedByOrthanc(bytes: Uint8Array): Promise<Uint8Array> {
    const upload = await fetch(`${orthanc.restUrl}/instances`, { method: 'POST', body: Buffer.from(bytes) });
    expect(upload.status).toBe(200);
    const { ID } = (await upload.json()) as { ID: string };
    const response = await fetch(`${orthanc.restUrl}/instances/${ID}/modify`, {
      method: 'POST',
      body: JSON.stringify({ Transcode: EXPLICIT_VR_LITTLE_ENDIAN, Force: true, Keep: ['SOPInstanceUID'] }),
    });
    expect(response.status).toBe(200);
    return new Uint8Array(await response.arrayBuffer());
  }

  it.each(cases)('decodes %s within %d of DCMTK', async (file, tolerance) => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, file)));
    const ours = parseDicom(bytes);
    const theirs = parseDicom(await transcodedByOrthanc(bytes));
    expect(theirs.transferSyntaxUID).toBe(EXPLICIT_VR_LITTLE_ENDIAN);
    expect(theirs.sopInstanceUID).toBe(ours.sopInstanceUID);
    const a = await ours.decodeFrame(0);
    const b = await theirs.decodeFrame(0);
    expect(a.length).toBe(b.length);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    expect(max).toBeLessThanOrEqual(tolerance);
  });
});

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CtVolumeStream, DicomwebClient, FrameDecodePool, newUid } from '@covseg/dicom';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';
import { runSeriesJob, segLabelmapHash } from '../support/jobs';

/**
 * RETRIEVE_TRANSFER_SYNTAX against a real Orthanc (1.10, DICOMweb 1.7, no GDCM plugin): the same 24
 * LIDC-IDRI-0001 slices stored three ways, each under UIDs of its own: uncompressed, JPEG Lossless
 * (dcmtk's dcmcjpeg) and JPEG 2000 lossless (GDCM's gdcmconv). Orthanc's DCMTK transcodes JPEG
 * Lossless to Explicit VR Little Endian; JPEG 2000 it cannot (it answers 500), so a job falls back to
 * the series as stored and our own decoder. Every path must give the same HU and the same SEG.
 */
const FIRST_SLICE = 40;
const SLICES = 24;
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const J2K_LOSSLESS = '1.2.840.10008.1.2.4.90';

interface Variant {
  study: string;
  series: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('retrieving a compressed series transcoded by the PACS', () => {
  let orthanc: OrthancInstance;
  let work: string;
  const variants: Record<'native' | 'jpegLossless' | 'j2k', Variant> = {} as never;
  const pool = new FrameDecodePool({ threads: 2 });

  /** The slices under new Study/Series/SOP Instance UIDs (dcmodify updates the meta header too), compressed by `compress`. */
  function makeVariant(name: string, compress?: (input: string, output: string) => void): { variant: Variant; files: Uint8Array[] } {
    const variant = { study: newUid(), series: newUid() };
    const files = lidcSlices(SLICES, FIRST_SLICE).map((bytes, i) => {
      const plain = join(work, `${name}-${i}.dcm`);
      writeFileSync(plain, bytes);
      execFileSync('dcmodify', ['-nb', '-m', `(0020,000D)=${variant.study}`, '-m', `(0020,000E)=${variant.series}`, '-m', `(0008,0018)=${newUid()}`, plain]);
      if (!compress) return new Uint8Array(readFileSync(plain));
      const packed = join(work, `${name}-${i}.packed.dcm`);
      compress(plain, packed);
      return new Uint8Array(readFileSync(packed));
    });
    return { variant, files };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'covseg-retrieve-ts-'));
    orthanc = await OrthancInstance.start();
    const made = {
      native: makeVariant('native'),
      jpegLossless: makeVariant('jll', (input, output) => execFileSync('dcmcjpeg', [input, output])),
      j2k: makeVariant('j2k', (input, output) => execFileSync('gdcmconv', ['--j2k', input, output])),
    };
    for (const [key, { variant, files }] of Object.entries(made)) {
      await orthanc.upload(files);
      variants[key as keyof typeof variants] = variant;
    }
  });

  afterAll(async () => {
    await pool.close();
    orthanc?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The series streamed from Orthanc into a CT volume, asking for `transferSyntax`. */
  async function volumeOf(variant: Variant, transferSyntax: string) {
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl, retries: 0 });
    const stream = new CtVolumeStream({ pool, expectedSlices: SLICES });
    await client.streamSeries(variant.study, variant.series, stream, { transferSyntax });
    const received = stream.transferSyntaxes;
    return { volume: await stream.finish(), received };
  }

  it('reads the stored transfer syntax of a series from its first instance', async () => {
    const client = new DicomwebClient({ baseUrl: orthanc.dicomwebUrl });
    expect(await client.getStoredTransferSyntax(variants.native.study, variants.native.series)).toBe(EXPLICIT_LE);
    expect(await client.getStoredTransferSyntax(variants.jpegLossless.study, variants.jpegLossless.series)).toBe(JPEG_LOSSLESS);
    expect(await client.getStoredTransferSyntax(variants.j2k.study, variants.j2k.series)).toBe(J2K_LOSSLESS);
  });

  it('gets a JPEG Lossless series transcoded by Orthanc with exactly the HU of our own decode, and of the uncompressed series', async () => {
    const transcoded = await volumeOf(variants.jpegLossless, EXPLICIT_LE);
    const asStored = await volumeOf(variants.jpegLossless, '*');
    const native = await volumeOf(variants.native, '*');
    expect(transcoded.received).toEqual({ [EXPLICIT_LE]: SLICES });
    expect(asStored.received).toEqual({ [JPEG_LOSSLESS]: SLICES });
    expect(transcoded.volume.hu.length).toBe(SLICES * 512 * 512);
    expect(sha256(new Uint8Array(transcoded.volume.hu.buffer, transcoded.volume.hu.byteOffset, transcoded.volume.hu.byteLength))).toBe(
      sha256(new Uint8Array(asStored.volume.hu.buffer, asStored.volume.hu.byteOffset, asStored.volume.hu.byteLength)),
    );
    expect(sha256(new Uint8Array(native.volume.hu.buffer, native.volume.hu.byteOffset, native.volume.hu.byteLength))).toBe(
      sha256(new Uint8Array(asStored.volume.hu.buffer, asStored.volume.hu.byteOffset, asStored.volume.hu.byteLength)),
    );
    expect(transcoded.volume.geometry).toEqual(asStored.volume.geometry);
  });

  describe('jobs', () => {
    let server: TestServer | undefined;
    afterAll(async () => {
      await server?.stop();
    });

    it('asks for JPEG Lossless transcoded, falls back to as stored for JPEG 2000 (remembering the refusal), and every path gives the same SEG', async () => {
      server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });

      const native = await runSeriesJob(server, variants.native);
      expect(native.result.retrieve).toEqual({ requested: '*', storedTransferSyntaxUID: EXPLICIT_LE, instances: SLICES, receivedTransferSyntaxes: { [EXPLICIT_LE]: SLICES } });

      const jpegLossless = await runSeriesJob(server, variants.jpegLossless);
      expect(jpegLossless.result.retrieve).toEqual({ requested: EXPLICIT_LE, storedTransferSyntaxUID: JPEG_LOSSLESS, instances: SLICES, receivedTransferSyntaxes: { [EXPLICIT_LE]: SLICES } });

      const j2k = await runSeriesJob(server, variants.j2k);
      expect(j2k.result.retrieve).toEqual({
        requested: '*',
        storedTransferSyntaxUID: J2K_LOSSLESS,
        transcodeFailed: 'status 500',
        instances: SLICES,
        receivedTransferSyntaxes: { [J2K_LOSSLESS]: SLICES },
      });
      // The refusal is remembered for this endpoint and syntax: the next J2K job does not ask again.
      const j2kAgain = await runSeriesJob(server, variants.j2k);
      expect(j2kAgain.result.retrieve).toEqual({ requested: '*', storedTransferSyntaxUID: J2K_LOSSLESS, instances: SLICES, receivedTransferSyntaxes: { [J2K_LOSSLESS]: SLICES } });

      const expected = await segLabelmapHash(orthanc.dicomwebUrl, variants.native.study, native);
      expect(native.result.quantification.lungVolumeMl).toBeGreaterThan(100);
      for (const [variant, job] of [
        [variants.jpegLossless, jpegLossless],
        [variants.j2k, j2k],
        [variants.j2k, j2kAgain],
      ] as const) {
        expect(await segLabelmapHash(orthanc.dicomwebUrl, variant.study, job)).toBe(expected);
        expect(job.result.quantification).toEqual(native.result.quantification);
      }
    });

    it('never asks the PACS to transcode with RETRIEVE_TRANSFER_SYNTAX=as-stored, and gets the same SEG', async () => {
      await server?.stop();
      server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { RETRIEVE_TRANSFER_SYNTAX: 'as-stored' } });
      const job = await runSeriesJob(server, variants.jpegLossless);
      expect(job.result.retrieve).toEqual({ requested: '*', instances: SLICES, receivedTransferSyntaxes: { [JPEG_LOSSLESS]: SLICES } });

      const reference = await runSeriesJob(server, variants.native);
      expect(await segLabelmapHash(orthanc.dicomwebUrl, variants.jpegLossless.study, job)).toBe(await segLabelmapHash(orthanc.dicomwebUrl, variants.native.study, reference));
      expect(job.result.quantification).toEqual(reference.result.quantification);
    });
  });
});

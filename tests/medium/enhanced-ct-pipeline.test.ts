import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom, readSeg } from '@covseg/dicom';
import { type BuiltEnhancedCt, enhancedCtFromClassic } from '../factories/enhanced-ct.factory';
import { waitForJob } from '../support/jobs';
import { lidcSlicePaths, lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

type SegDataset = {
  ReferencedSeriesSequence: Array<{ SeriesInstanceUID: string; ReferencedInstanceSequence: Array<Record<string, unknown>> }>;
  PerFrameFunctionalGroupsSequence: Array<{ DerivationImageSequence: Array<{ SourceImageSequence: Array<Record<string, unknown>> }> }>;
};

// Asynchronous on purpose: a synchronous spawn blocks the in-process server's event loop for seconds,
// and its keep-alive timer then closes the socket the next request reuses (ECONNRESET).
const run = promisify(execFile);

/** dciodvfy (dicom3tools) report of one file: the IOD it recognised and its error lines. */
async function dciodvfy(bytes: Uint8Array, dir: string, name: string): Promise<{ report: string; errors: string[] }> {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  // dciodvfy reports on stderr and exits 0 even with errors, so read both streams.
  const { stdout, stderr } = await run('/usr/bin/dciodvfy', [file], { maxBuffer: 64 * 1024 * 1024 });
  const report = `${stdout}${stderr}`;
  return { report, errors: report.split('\n').filter((line) => line.startsWith('Error')) };
}

/**
 * The full 133-slice LIDC-IDRI-0001 series twice on one Orthanc: as classic CT slices and as one
 * Enhanced CT instance (built here from the committed classic series by
 * tests/factories/enhanced-ct.factory.ts); both go through the real job pipeline. The Legacy Converted
 * Enhanced CT twin is checked as data here and through buildCtVolume and the SEG writer in
 * libs/dicom/src/volume/enhanced-ct.spec.ts: it takes the same server path, and a third 133-slice job
 * would add a minute of CI time for no new code.
 */
describe('Enhanced CT through the job pipeline against a real Orthanc', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let classic: Uint8Array[];
  let enhanced: BuiltEnhancedCt;
  let legacy: BuiltEnhancedCt;
  let studyInstanceUID: string;
  let classicSeriesUID: string;
  let work: string;
  let endpointId: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'covseg-enhanced-'));
    orthanc = await OrthancInstance.start();
    classic = lidcSlices(lidcSlicePaths().length);
    enhanced = await enhancedCtFromClassic(classic, { sopClass: 'enhanced' });
    legacy = await enhancedCtFromClassic(classic, { sopClass: 'legacy-converted' });
    await orthanc.upload([...classic, enhanced.bytes]);
    ({ StudyInstanceUID: studyInstanceUID, SeriesInstanceUID: classicSeriesUID } = parseDicom(classic[0]!).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string });
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
    // The test endpoint's 10 s timeout covers the whole response; one Enhanced CT instance is the whole
    // 70 MB series in one part, which a loaded CI machine's Orthanc serves in 5-10 s.
    ({ id: endpointId } = await server.json<{ id: string }>('/api/pacs-endpoints', {
      method: 'POST',
      body: JSON.stringify({ name: 'orthanc-large-instances', baseUrl: orthanc.dicomwebUrl, authType: 'none', timeoutMs: 120_000 }),
    }));
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const segment = async (seriesInstanceUID: string | undefined) => {
    const { id } = await server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: endpointId, studyInstanceUID, ...(seriesInstanceUID ? { seriesInstanceUID } : {}) }),
      expectStatus: 202,
    });
    const job = await waitForJob(server, id, 300_000);
    expect(job.error).toBeNull();
    return job;
  };

  it('uses test data that dcmtk reads and dciodvfy passes as Enhanced CT and Legacy Converted Enhanced CT', async () => {
    for (const [built, iod] of [
      [enhanced, 'EnhancedCTImage'],
      [legacy, 'LegacyConvertedEnhancedCTImage'],
    ] as const) {
      const file = join(work, `${built.sopInstanceUID}.dcm`);
      writeFileSync(file, built.bytes);
      const dump = await run('/usr/bin/dcmdump', ['+P', 'NumberOfFrames', '+P', 'SOPClassUID', file]);
      expect(dump.stdout).toMatch(/IS \[133\]/);
      const { report, errors } = await dciodvfy(built.bytes, work, 'source.dcm');
      expect(report).toContain(iod);
      expect(errors).toEqual([]);
    }
  });

  it('segments the Enhanced CT version to the same figures and masks as the classic series', { timeout: 600_000 }, async () => {
    const classicJob = await segment(classicSeriesUID);
    const enhancedJob = await segment(enhanced.seriesInstanceUID);
    for (const job of [classicJob, enhancedJob]) {
      expect(job.result.slices).toBe(133);
      expect(job.result.reused).toBe('none');
    }
    expect(classicJob.result.quantification.lungVolumeMl).toBeGreaterThan(1500);
    expect(enhancedJob.result.quantification).toEqual(classicJob.result.quantification);

    const classicSeg = readSeg(await orthanc.downloadInstance(classicJob.result.segSopInstanceUID));
    const source = enhanced;
    const bytes = await orthanc.downloadInstance(enhancedJob.result.segSopInstanceUID);
    const { report, errors } = await dciodvfy(bytes, work, `seg-${source.sopInstanceUID}.dcm`);
    expect(report).toMatch(/^Segmentation$/m);
    expect(errors).toEqual([]);

    // One instance referenced once; each frame names its source frame (PS3.3 Table 10-3).
    const seg = parseDicom(bytes).dataset as SegDataset;
    expect(seg.ReferencedSeriesSequence).toEqual([expect.objectContaining({ SeriesInstanceUID: source.seriesInstanceUID })]);
    expect(seg.ReferencedSeriesSequence[0]!.ReferencedInstanceSequence).toEqual([
      expect.objectContaining({ ReferencedSOPInstanceUID: source.sopInstanceUID, ReferencedSOPClassUID: source.sopClassUID }),
    ]);
    const references = seg.PerFrameFunctionalGroupsSequence.map((group) => group.DerivationImageSequence[0]!.SourceImageSequence[0]!);
    expect(references.every((r) => r.ReferencedSOPInstanceUID === source.sopInstanceUID)).toBe(true);
    const frames = references.slice(0, 133).map((r) => Number(r.ReferencedFrameNumber));
    expect(new Set(frames)).toEqual(new Set(Array.from({ length: 133 }, (_, i) => i + 1)));

    // Same voxels as the classic SEG, segment by segment.
    const read = readSeg(bytes);
    expect(read.slices.map((s) => s.imagePositionPatient)).toEqual(classicSeg.slices.map((s) => s.imagePositionPatient));
    read.segments.forEach((segment, s) => expect(Buffer.from(segment.labelmap).equals(Buffer.from(classicSeg.segments[s]!.labelmap))).toBe(true));
  });

  it('lets automatic series selection see the Enhanced CT instance as 133 axial images, not as one', async () => {
    // Both series tie on images, thickness and kernel (STANDARD, read from CTReconstructionSequence for
    // the Enhanced one); the lower SeriesNumber (2, the conversion's, vs LIDC's 3000566) wins. Its SEG
    // exists from the test above, so the job reuses it instead of segmenting again.
    const job = await segment(undefined);
    const enhancedVerdict = job.seriesSelection.candidates.find((c: { seriesInstanceUID: string }) => c.seriesInstanceUID === enhanced.seriesInstanceUID);
    expect(enhancedVerdict).toMatchObject({ eligible: true, instances: 133, sliceThicknessMm: 2.5, kernelClass: 'soft' });
    expect(enhancedVerdict.imageOrientationPatient).toHaveLength(6);
    expect(job.seriesInstanceUID).toBe(enhanced.seriesInstanceUID);
    expect(job.result.reused).toBe('database');
  });
});

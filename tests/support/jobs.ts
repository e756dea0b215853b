import { createHash } from 'node:crypto';
import { DicomwebClient, readSeg, type DicomInstance, type SegSourceSlice } from '@covseg/dicom';
import { TestServer } from './server';

/** Polls GET /api/jobs/:id until the job leaves queued/running; returns the final job (any-typed for tests). */
export async function waitForJob(server: TestServer, id: string, timeoutMs = 110_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await server.json<any>(`/api/jobs/${id}`);
    if (job.status !== 'queued' && job.status !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`Job ${id} still ${job.status} (stage ${job.stage}) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A study and one of its series, as the tests that run a job per stored copy name them. */
export interface SeriesRef {
  study: string;
  series: string;
}

/** Starts a forced job on one series (POST /api/jobs), waits for it and returns it; throws unless it succeeded. */
export async function runSeriesJob(server: TestServer, ref: SeriesRef): Promise<any> {
  const { id } = await server.json<{ id: string }>('/api/jobs', {
    method: 'POST',
    body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: ref.study, seriesInstanceUID: ref.series, force: true }),
    expectStatus: 202,
  });
  const job = await waitForJob(server, id);
  if (job.status !== 'succeeded' || job.error) throw new Error(`Job ${id} on series ${ref.series} ended ${job.status}: ${JSON.stringify(job.error)}`);
  return job;
}

/** SHA-256 of every segment's label and labelmap of a job's SEG, read back from the PACS, in slice order. */
export async function segLabelmapHash(dicomwebUrl: string, study: string, job: { result: { segSeriesInstanceUID: string; segSopInstanceUID: string } }): Promise<string> {
  const client = new DicomwebClient({ baseUrl: dicomwebUrl });
  const seg = readSeg(await client.retrieveInstance(study, job.result.segSeriesInstanceUID, job.result.segSopInstanceUID));
  const hash = createHash('sha256');
  for (const segment of seg.segments) hash.update(`${segment.label}:`).update(segment.labelmap);
  return hash.digest('hex');
}

/** A classic CT instance as readSeg's source slice: its SOP Instance and Class UIDs and its position. */
export function segSourceOf(instance: DicomInstance): SegSourceSlice {
  return { sopInstanceUID: instance.sopInstanceUID, sopClassUID: instance.sopClassUID, imagePositionPatient: (instance.dataset.ImagePositionPatient as number[]).map(Number) };
}

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtVolume, parseDicom, readSeg } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';
import { loadConfig } from '../../apps/server/src/core/repositories/config.repository';
import { loadQueueConfig } from '../../apps/server/src/core/config/queue.config';
import { buildSegmentationResult } from '../../apps/server/src/jobs/pipeline/build-result';
import type { BuildResultEvent } from '../../apps/server/src/jobs/pipeline/build-result.worker';
import { HeldVolume, HuReleasedError, holdVolume } from '../../apps/server/src/jobs/pipeline/held-volume';
import { SegmentationThreadFailedError, SegmentationThreadRepository } from '../../apps/server/src/jobs/repositories/segmentation-thread.repository';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { repoRoot, startTestServer } from '../support/server';
import { waitForJob } from '../support/jobs';

/** 20 slices through the middle of the chest of LIDC-IDRI-0001 (both lungs present). */
const files = lidcSlices(20, 50);
const options = { run: 1, predecessors: [], withKeyImages: false };
const noop = () => undefined;

describe("a job's segmentation thread", () => {
  let model: SegmentationModel;
  let threads: SegmentationThreadRepository;
  const volume = async () => holdVolume(await buildCtVolume(files.map((f) => parseDicom(f))));

  beforeAll(async () => {
    model = await SegmentationModel.load(join(repoRoot, 'models/covseg-unet.onnx'), { thread: 'worker', intraOpThreads: 1 });
    threads = new SegmentationThreadRepository(loadConfig({ JOB_CONCURRENCY: '1', JOB_NICE: '10' }, repoRoot), loadQueueConfig({}));
  });
  afterAll(async () => {
    await threads?.onApplicationShutdown();
    await model?.release();
  });

  it('encodes the same SEG pixel data and figures as the calling thread, reporting stages and progress as it goes', async () => {
    const here = await buildSegmentationResult(model, await volume(), options, { checkpoint: noop, setStage: noop, progress: noop, addTiming: noop });
    const source = await volume();
    const events: BuildResultEvent[] = [];
    const there = await threads.build(model, source, options, { signal: new AbortController().signal, onEvent: (e) => events.push(e) });
    expect(there.quantification).toEqual(here.quantification);
    expect([there.slices, there.slicesInferred]).toEqual([here.slices, here.slicesInferred]);
    const [a, b] = [readSeg(here.seg.bytes, source.slices), readSeg(there.seg.bytes, source.slices)];
    expect(b.segments.map((s) => s.label)).toEqual(a.segments.map((s) => s.label));
    b.segments.forEach((segment, i) => expect(Buffer.from(segment.labelmap).equals(Buffer.from(a.segments[i]!.labelmap))).toBe(true));
    expect(events.filter((e) => e.kind === 'stage').map((e) => (e as { stage: string }).stage)).toEqual(['preprocess', 'infer', 'segEncode']);
    const progress = events.filter((e) => e.kind === 'progress') as { done: number; total: number }[];
    expect(progress.at(-1)).toEqual({ kind: 'progress', done: 20, total: 20 });
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((x, y) => x - y));
    expect(new Set(events.filter((e) => e.kind === 'timing').map((e) => (e as { stage: string }).stage))).toEqual(new Set(['preprocess', 'infer', 'postprocess', 'segEncode']));
  });

  it('renders key images from the HU before letting go of them, and lets go of them: same images on both threads', async () => {
    const withKeyImages = { ...options, withKeyImages: true };
    const held = await volume();
    const here = await buildSegmentationResult(model, held, withKeyImages, { checkpoint: noop, setStage: noop, progress: noop, addTiming: noop });
    expect(held.hu.released).toBe(true);
    const source = await volume();
    const there = await threads.build(model, source, withKeyImages, { signal: new AbortController().signal, onEvent: noop });
    expect(source.hu.released).toBe(true);
    // At least the summary image; the same slices chosen on both threads.
    expect(here.keyImages.length).toBeGreaterThan(0);
    expect(there.keyImages.length).toBe(here.keyImages.length);
    expect(there.quantification).toEqual(here.quantification);
  });

  it('fails with hu-released, never with a result, when a volume reaches it with its HU already let go of', async () => {
    const early = await volume();
    early.hu.release();
    const inThread = await threads.build(model, early, options, { signal: new AbortController().signal, onEvent: noop }).catch((e: unknown) => e);
    expect(inThread).toBeInstanceOf(HuReleasedError);
    expect((inThread as HuReleasedError).code).toBe('hu-released');
    const here = await buildSegmentationResult(model, early, options, { checkpoint: noop, setStage: noop, progress: noop, addTiming: noop }).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(HuReleasedError);
    expect((here as Error).message).toMatch(/segmentation read the volume's HU after they were released/);
  });

  it('keeps the meaning of a failure in the thread: a volume that does not add up fails as segmentation-failed', async () => {
    const good = await volume();
    const broken: HeldVolume = { ...good, geometry: { ...good.geometry, slices: good.geometry.slices + 1 } };
    const error = await threads.build(model, broken, options, { signal: new AbortController().signal, onEvent: noop }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentationThreadFailedError);
    expect((error as SegmentationThreadFailedError).code).toBe('segmentation-failed');
    expect((error as Error).message).toMatch(/voxels do not make 512 x 512 x 21/);
  });

  it('stops at once with the abort reason when the job is aborted mid-segmentation, and the next job runs on a new thread', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');
    const aborted = threads.build(model, await volume(), options, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'progress' && e.done > 0) controller.abort(reason);
      },
    });
    await expect(aborted).rejects.toBe(reason);
    const next = await threads.build(model, await volume(), options, { signal: new AbortController().signal, onEvent: noop });
    expect(next.slices).toBe(20);
  });

  it('fails with the inference error, not a hang, when the model is released under a running segmentation', async () => {
    const own = await SegmentationModel.load(join(repoRoot, 'models/covseg-unet.onnx'), { thread: 'worker', intraOpThreads: 1 });
    let released: Promise<void> | undefined;
    const error = await threads
      .build(own, await volume(), options, {
        signal: new AbortController().signal,
        onEvent: (e) => {
          if (e.kind === 'stage' && e.stage === 'infer') released ??= own.release();
        },
      })
      .catch((e: unknown) => e);
    await released;
    expect(error).toBeInstanceOf(SegmentationThreadFailedError);
    expect((error as SegmentationThreadFailedError).code).toBe('segmentation-failed');
    expect((error as Error).message).toMatch(/Inference failed/);
  });
});

describe('the API while a job segments', () => {
  let orthanc: OrthancInstance;
  afterAll(() => orthanc?.destroy());

  it('answers /api/health promptly while a 133-slice job segments in its thread', async () => {
    orthanc = await OrthancInstance.start();
    const all = lidcSlices(133);
    await orthanc.upload(all);
    const { StudyInstanceUID } = parseDicom(all[0]!).dataset as { StudyInstanceUID: string };
    const server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
    try {
      const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: StudyInstanceUID }), expectStatus: 202 });
      const done = waitForJob(server, id, 300_000);
      let finished = false;
      void done.finally(() => (finished = true));
      // Health is timed only while the job is past retrieval and decoding (both still on the event loop).
      const latencies: number[] = [];
      while (!finished) {
        const job = await server.json<{ stage: string | null; status: string }>(`/api/jobs/${id}`);
        const segmenting = job.status === 'running' && ['preprocess', 'infer', 'postprocess', 'segEncode'].includes(job.stage ?? '');
        const started = performance.now();
        expect((await server.request('/api/health')).status).toBe(200);
        if (segmenting) latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const job = await done;
      expect(job.status).toBe('succeeded');
      expect(job.result.slices).toBe(133);
      expect(latencies.length).toBeGreaterThan(10);
      // Generous for a loaded 2-core machine. Measured at load 6-8: in the thread max 44 ms, p50 2 ms (316
      // answers); with the same job on the event loop (ORT_INFERENCE_THREAD=main) p50 721 ms, max 783 ms,
      // and only 7 answers during the whole segmentation.
      expect(Math.max(...latencies)).toBeLessThan(500);
    } finally {
      await server.stop();
    }
  }, 400_000);
});

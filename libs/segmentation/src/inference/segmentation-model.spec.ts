import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError, ModelContractError, ModelLoadError } from '../errors';
import { SegmentationModel } from './segmentation-model';

const support = join(__dirname, '../../test-support');
const scratch = mkdtempSync(join(tmpdir(), 'covseg-model-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The tiny model computes sigmoid(40 * (mean3x3(x) - 0.6)). */
const expected = (x: number) => 1 / (1 + Math.exp(-40 * (x - 0.6)));

describe('SegmentationModel', () => {
  it('loads the contract from the ONNX metadata', async () => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 3 });
    expect(model.name).toBe('tiny-bright-blob');
    expect(model.version).toBe('0.0.1-test');
    expect(model.trained).toBe(false);
    expect(model.contract).toMatchObject({ inputSize: 64, inputChannels: 1, windowCenter: -600, windowWidth: 1500, frameMargin: 0.05, minFrameMm: 160, minLungAreaMm2: 500, threshold: 0.5 });
    await model.release();
  });

  it('predicts per-slice probabilities in batches, including a partial last batch', async () => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 2 });
    const plane = 64 * 64;
    const levels = [0.2, 0.7, 0.55, 0.9, 0.62];
    const input = new Float32Array(levels.length * plane);
    levels.forEach((v, k) => input.fill(v, k * plane, (k + 1) * plane));
    const chunks: number[] = [];
    const prob = await model.predictBatched(input, levels.length, (done) => chunks.push(done));
    expect(chunks).toEqual([2, 4, 5]);
    levels.forEach((v, k) => {
      expect(prob[k * plane]).toBeCloseTo(expected(v), 4);
      expect(prob[k * plane + 2080]).toBeCloseTo(expected(v), 4);
    });
    await model.release();
  });

  it('feeds 3 channels when the contract says so', async () => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg-3ch.onnx'));
    expect(model.contract.inputChannels).toBe(3);
    const prob = await model.predict(new Float32Array(3 * 32 * 32).fill(0.8), 1);
    expect(prob).toHaveLength(32 * 32);
    expect(prob[100]).toBeCloseTo(expected(0.8), 4);
    await model.release();
  });

  it('gives the same probabilities when inference runs in a worker thread', async () => {
    const main = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1 });
    const worker = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, thread: 'worker', batchSize: 2 });
    const input = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => ((i * 7919) % 256) / 255);
    const a = await main.predictBatched(input, 3);
    const b = await worker.predictBatched(input, 3);
    expect(b).toHaveLength(a.length);
    expect(Array.from(b)).toEqual(Array.from(a));
    // Both know the file's SHA-256 (the worker runner detaches the file buffer, so it is hashed first).
    const digest = createHash('sha256').update(readFileSync(join(support, 'tiny-covseg.onnx'))).digest('hex');
    expect([main.sha256, worker.sha256]).toEqual([digest, digest]);
    // The caller's buffer is copied to the worker, not detached.
    expect(input.length).toBe(3 * 64 * 64);
    await main.release();
    await worker.release();
    await expect(worker.predict(input.subarray(0, 64 * 64), 1)).rejects.toThrow(/released/);
  });

  it('warms up with one full batch and predicts the same afterwards', async () => {
    const cold = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 2 });
    const warm = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 2, thread: 'worker' });
    await warm.warmUp();
    const input = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => ((i * 7919) % 256) / 255);
    expect(Array.from(await warm.predictBatched(input, 3))).toEqual(Array.from(await cold.predictBatched(input, 3)));
    await cold.release();
    await warm.release();
    await expect(warm.warmUp()).rejects.toThrow(/released/);
  });

  it.each(['main', 'worker'] as const)('gives the same probabilities after releasing its working memory (%s thread), also for a run sent during the release', async (thread) => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, thread, batchSize: 2 });
    const input = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => ((i * 7919) % 256) / 255);
    const before = await model.predictBatched(input, 3);
    const during = model.predict(input.subarray(0, 2 * 64 * 64), 2);
    const releasing = model.releaseWorkingMemory();
    const racing = model.predict(input.subarray(2 * 64 * 64), 1);
    await releasing;
    expect(Array.from(await during)).toEqual(Array.from(before.subarray(0, 2 * 64 * 64)));
    expect(Array.from(await racing)).toEqual(Array.from(before.subarray(2 * 64 * 64)));
    expect(Array.from(await model.predictBatched(input, 3))).toEqual(Array.from(before));
    await model.release();
    await expect(model.releaseWorkingMemory()).rejects.toThrow(/model was released/);
  });

  it('runs the inference thread and the onnxruntime threads it starts at the niceness asked for, leaving the caller alone', async () => {
    const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const threadNiceness = () => readdirSync('/proc/self/task').map((tid) => niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
    const before = threadNiceness().filter((n) => n === 13).length;
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 2, thread: 'worker', threadNiceness: 13 });
    expect(model.inferenceNiceness).toBe(13);
    const input = new Float32Array(64 * 64).fill(0.5);
    expect((await model.predict(input, 1)).length).toBe(64 * 64);
    // The worker thread and at least one intra-op thread of onnxruntime (intraOpThreads 2 starts one more).
    expect(threadNiceness().filter((n) => n === 13).length - before).toBeGreaterThanOrEqual(2);
    expect(niceOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(niceOf(readFileSync('/proc/self/stat', 'utf8')));
    // A session built again to free the arena starts its threads from the same worker thread, at the same niceness.
    await model.releaseWorkingMemory();
    const afterRelease = threadNiceness().filter((n) => n === 13).length;
    expect((await model.predict(input, 1)).length).toBe(64 * 64);
    expect(threadNiceness().filter((n) => n === 13).length).toBeGreaterThanOrEqual(afterRelease);
    expect(afterRelease - before).toBeGreaterThanOrEqual(2);
    await model.release();
    await expect(SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { thread: 'worker', threadNiceness: 20 })).rejects.toThrow(/threadNiceness must be an integer from 0 to 19/);
  });

  it('shares its worker-thread session with another thread: an attached model predicts the same, its release leaves the owner running, and the owner’s release ends it', async () => {
    const owner = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, batchSize: 2, thread: 'worker' });
    const plane = 64 * 64;
    const input = new Float32Array(2 * plane);
    input.fill(0.7, 0, plane);
    input.fill(0.55, plane);
    const shared = await owner.share();
    // A MessagePort works the same within one thread; across threads the medium pipeline tests use it.
    const attached = SegmentationModel.attach(shared);
    expect({ name: attached.name, sha256: attached.sha256, batchSize: attached.batchSize }).toEqual({ name: owner.name, sha256: owner.sha256, batchSize: 2 });
    expect(Array.from(await attached.predict(input, 2))).toEqual(Array.from(await owner.predict(input, 2)));
    await attached.releaseWorkingMemory();
    expect(Array.from(await attached.predict(input, 2))).toEqual(Array.from(await owner.predict(input, 2)));
    await attached.release();
    expect(Array.from(await owner.predict(input, 2))[0]).toBeCloseTo(expected(0.7), 4);

    const second = SegmentationModel.attach(await owner.share());
    const before = await second.predict(input, 2);
    expect(before[0]).toBeCloseTo(expected(0.7), 4);
    await owner.release();
    await expect(second.predict(input, 2)).rejects.toThrow(/Inference failed/);
    await expect(owner.share()).rejects.toThrow(/model was released/);
  });

  it('refuses to share a model whose session runs on the calling thread', async () => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1, thread: 'main' });
    await expect(model.share()).rejects.toThrow(/only a model loaded with thread 'worker' can be shared/);
    await model.release();
  });

  it('reports a model onnxruntime refuses in the worker thread as ModelLoadError', async () => {
    const corrupt = join(scratch, 'corrupt-for-worker.onnx');
    const damaged = Buffer.from(readFileSync(join(support, 'tiny-covseg.onnx')));
    damaged.write('Xonv', damaged.indexOf(Buffer.from('Conv')));
    writeFileSync(corrupt, damaged);
    await expect(SegmentationModel.load(corrupt, { thread: 'worker' })).rejects.toThrow(/onnxruntime refused it/);
  });

  it('rejects an input whose size does not match the batch count', async () => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'));
    await expect(model.predict(new Float32Array(64 * 64), 2)).rejects.toThrow(InvalidInputError);
    await model.release();
  });

  it('refuses an unknown execution provider or batch size before touching the file', async () => {
    const path = join(support, 'tiny-covseg.onnx');
    await expect(SegmentationModel.load(path, { executionProvider: 'gpu' as never })).rejects.toThrow(/unknown execution provider "gpu"/);
    await expect(SegmentationModel.load(path, { batchSize: 0 })).rejects.toThrow(ModelLoadError);
    await expect(SegmentationModel.load(path, { intraOpThreads: 1.5 })).rejects.toThrow(/intraOpThreads must be a positive integer/);
  });

  it('fails with ModelLoadError naming the path when the file is missing', async () => {
    const missing = join(scratch, 'nope.onnx');
    await expect(SegmentationModel.load(missing)).rejects.toThrow(ModelLoadError);
    await expect(SegmentationModel.load(missing)).rejects.toThrow(missing);
  });

  it('fails with ModelLoadError when the file is not a model', async () => {
    const corrupt = join(scratch, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not a protobuf at all'));
    await expect(SegmentationModel.load(corrupt)).rejects.toThrow(ModelLoadError);
  });

  it('fails with ModelLoadError when the metadata is intact but the graph is corrupt', async () => {
    const bytes = readFileSync(join(support, 'tiny-covseg.onnx'));
    const damaged = Buffer.from(bytes);
    // Overwrite the start of the graph bytes but keep the protobuf framing: onnxruntime must refuse it.
    const graphAt = damaged.indexOf(Buffer.from('Conv'));
    damaged.write('Xonv', graphAt);
    const path = join(scratch, 'damaged.onnx');
    writeFileSync(path, damaged);
    await expect(SegmentationModel.load(path)).rejects.toThrow(/onnxruntime refused it/);
  });

  it('fails with ModelContractError naming the key when a metadata key is missing', async () => {
    const path = join(support, 'tiny-covseg-no-threshold.onnx');
    await expect(SegmentationModel.load(path)).rejects.toThrow(ModelContractError);
    await expect(SegmentationModel.load(path)).rejects.toThrow(/covseg\.threshold is missing/);
  });

  it('runs both outputs of a multi-class model, on the main thread and in a worker, with the same values', async () => {
    const path = join(support, 'tiny-covseg-multiclass.onnx');
    const main = await SegmentationModel.load(path, { intraOpThreads: 1 });
    const worker = await SegmentationModel.load(path, { intraOpThreads: 1, thread: 'worker' });
    expect(main.multiClass).toBe(true);
    const plane = 64 * 64;
    const levels = [0.5, 0.7, 0.9];
    const input = new Float32Array(levels.length * plane);
    levels.forEach((v, k) => input.fill(v, k * plane, (k + 1) * plane));
    const a = await main.predictOutputs(input, levels.length);
    const b = await worker.predictOutputs(input, levels.length);
    levels.forEach((v, k) => {
      expect(a.prob[k * plane + 100]).toBeCloseTo(expected(v), 4);
      expect(a.consolidation![k * plane + 100]).toBeCloseTo(1 / (1 + Math.exp(-40 * (v - 0.8))), 4);
    });
    expect(Array.from(b.prob)).toEqual(Array.from(a.prob));
    expect(Array.from(b.consolidation!)).toEqual(Array.from(a.consolidation!));
    // predict() is the union's map alone.
    expect(Array.from(await main.predict(input, levels.length))).toEqual(Array.from(a.prob));
    await main.release();
    await worker.release();
  });

  it('gives a binary model no consolidation output', async () => {
    const model = await SegmentationModel.load(join(support, 'tiny-covseg.onnx'), { intraOpThreads: 1 });
    expect(model.multiClass).toBe(false);
    expect((await model.predictOutputs(new Float32Array(64 * 64), 1)).consolidation).toBeUndefined();
    await model.release();
  });

  it('refuses a model whose metadata declares classes but whose graph has no consolidation output', async () => {
    // Rename the graph's second output (protobuf strings of 13 bytes: length byte 0x0d) and keep the metadata.
    const bytes = Buffer.from(readFileSync(join(support, 'tiny-covseg-multiclass.onnx')));
    const name = Buffer.from('consolidation');
    let renamed = 0;
    for (let at = bytes.indexOf(name); at >= 0; at = bytes.indexOf(name, at + 1)) {
      if (bytes[at - 1] === name.length) { bytes.write('consolidatioX', at); renamed++; }
    }
    expect(renamed).toBeGreaterThan(0);
    const path = join(scratch, 'classes-without-output.onnx');
    writeFileSync(path, bytes);
    await expect(SegmentationModel.load(path)).rejects.toThrow(ModelLoadError);
    await expect(SegmentationModel.load(path)).rejects.toThrow(/covseg\.classes is "ggo,consolidation" but the graph has no output "consolidation"/);
  });
});

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InferenceError, InvalidInputError, ModelLoadError } from '../errors';
import { type ModelContract, parseModelContract } from './model-contract';
import { readOnnxMetadataProps } from './onnx-metadata';
import { createMainThreadRunner, type OrtRunner } from './ort-runner';
import { createWorkerRunner } from './ort-worker-runner';
import { createPortRunner } from './port-runner';
import type { MessagePort } from 'node:worker_threads';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export interface SegmentationModelOptions {
  /** Default 'cpu'. 'cuda'/'webgpu' need an onnxruntime build that ships them; load fails otherwise. */
  executionProvider?: ExecutionProvider;
  /** onnxruntime intra-op threads; default: onnxruntime's choice (all cores). */
  intraOpThreads?: number;
  /**
   * Slices per `run` call in `predictBatched` and `segmentVolume`; default 4. onnxruntime's CPU arena
   * keeps the largest batch's activations for the session's life: ~310 MB of process RSS at 4 against
   * ~470 MB at 8 (160² input), for the same CPU time per slice (36-39 ms either way, 2-core VM, load 17).
   */
  batchSize?: number;
  /**
   * Where inference runs. 'main' (default): on the calling thread; onnxruntime-node's run is
   * synchronous native work, so the event loop is blocked for each batch. 'worker': in a worker
   * thread owned by this model, so a server stays responsive while a batch runs.
   */
  thread?: 'main' | 'worker';
  /**
   * With `thread: 'worker'`: the niceness (0-19) of the inference thread and of the intra-op threads
   * onnxruntime starts from it, so that a server's HTTP (a viewer, the DICOMweb proxy) goes first on a
   * busy CPU. Raised only: a process already nicer keeps its own. Linux only (per-thread niceness);
   * where it cannot be set, `inferenceNiceness` says undefined.
   */
  threadNiceness?: number;
}

/** The contract's fixed tensor names (docs/CONTRACTS.md §2). */
export const MODEL_INPUT_NAME = 'input';
export const MODEL_OUTPUT_NAME = 'prob';
/** The second output of a multi-class model (`covseg.classes`): the consolidation probability. */
export const MODEL_CONSOLIDATION_OUTPUT_NAME = 'consolidation';

/** What one run of the model gives: n x S x S each, new arrays owned by the caller. */
export interface ModelOutputs {
  /** Infection (the union of the classes) probability; thresholded at `contract.threshold`. */
  prob: Float32Array;
  /** Multi-class models only: consolidation probability, thresholded at `contract.consolidationThreshold`. */
  consolidation?: Float32Array;
}

/**
 * What another thread needs to use a loaded model (SegmentationModel.share / attach): plain data plus a
 * port to the onnxruntime thread. Post it with `port` in the transfer list.
 */
export interface SharedSegmentationModel {
  port: MessagePort;
  contract: ModelContract;
  path: string;
  batchSize: number;
  executionProvider: ExecutionProvider;
  sha256: string;
  inputNames: readonly string[];
  outputNames: readonly string[];
  inferenceNiceness: number | undefined;
}

/**
 * A loaded U-Net plus the preprocessing contract read from its own metadata. The only owner of an
 * onnxruntime session. Call `release()` when done: the native session holds memory outside the JS heap.
 */
export class SegmentationModel {
  private released = false;
  /** The niceness inference runs at (see SegmentationModelOptions.threadNiceness); undefined when not set. */
  inferenceNiceness: number | undefined;

  private constructor(
    private readonly runner: OrtRunner,
    readonly contract: ModelContract,
    readonly path: string,
    readonly batchSize: number,
    readonly executionProvider: ExecutionProvider,
    /** SHA-256 of the model file, lower-case hex: what identifies this exact build (the SEG/SR Device UID derives from it). */
    readonly sha256: string,
  ) {}

  get name(): string {
    return this.contract.name;
  }

  get version(): string {
    return this.contract.version;
  }

  get trained(): boolean {
    return this.contract.trained;
  }

  /**
   * Loads an ONNX model and validates its metadata against docs/CONTRACTS.md §2.
   * @throws ModelLoadError (missing/corrupt file, runtime refusal, wrong tensor names),
   *         ModelContractError (missing or invalid metadata key).
   */
  static async load(path: string, options: SegmentationModelOptions = {}): Promise<SegmentationModel> {
    const executionProvider = options.executionProvider ?? 'cpu';
    if (!EXECUTION_PROVIDERS.includes(executionProvider)) {
      throw new ModelLoadError(`Loading model failed (unknown execution provider "${String(executionProvider)}", expected ${EXECUTION_PROVIDERS.join(', ')}): ${path}`, path);
    }
    const batchSize = options.batchSize ?? 4;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ModelLoadError(`Loading model failed (batchSize must be a positive integer, got ${batchSize}): ${path}`, path);
    }
    if (options.intraOpThreads !== undefined && (!Number.isInteger(options.intraOpThreads) || options.intraOpThreads < 1)) {
      throw new ModelLoadError(`Loading model failed (intraOpThreads must be a positive integer, got ${options.intraOpThreads}): ${path}`, path);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new ModelLoadError(`Loading model failed (cannot read the file): ${path}`, path, { cause });
    }
    // The contract is checked before the session is created, so a model without metadata fails
    // with the key it lacks rather than after seconds of graph optimisation.
    const contract = parseModelContract(readOnnxMetadataProps(bytes, path), path);
    // Hashed before the runner is created: the worker runner transfers (detaches) the buffer.
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const thread = options.thread ?? 'main';
    if (thread !== 'main' && thread !== 'worker') {
      throw new ModelLoadError(`Loading model failed (thread must be 'main' or 'worker', got "${String(thread)}"): ${path}`, path);
    }
    if (options.threadNiceness !== undefined && (!Number.isInteger(options.threadNiceness) || options.threadNiceness < 0 || options.threadNiceness > 19)) {
      throw new ModelLoadError(`Loading model failed (threadNiceness must be an integer from 0 to 19, got ${options.threadNiceness}): ${path}`, path);
    }
    let session: OrtRunner;
    let inferenceNiceness: number | undefined;
    try {
      const runnerOptions = { executionProviders: [executionProvider], ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}) };
      if (thread === 'worker') {
        const runner = await createWorkerRunner(bytes, runnerOptions, options.threadNiceness);
        inferenceNiceness = runner.niceness;
        session = runner;
      } else session = await createMainThreadRunner(bytes, runnerOptions);
    } catch (cause) {
      throw new ModelLoadError(`Loading model failed (onnxruntime refused it with execution provider ${executionProvider}): ${path}`, path, { cause });
    }
    if (!session.inputNames.includes(MODEL_INPUT_NAME) || !session.outputNames.includes(MODEL_OUTPUT_NAME)) {
      await session.release();
      throw new ModelLoadError(
        `Loading model failed (expected input "${MODEL_INPUT_NAME}" and output "${MODEL_OUTPUT_NAME}", found ${session.inputNames.join(',')} -> ${session.outputNames.join(',')}): ${path}`,
        path,
      );
    }
    // A multi-class contract needs the graph's second output; a graph with an output the metadata does
    // not announce is run as the binary model its metadata describes (only `prob` is fetched).
    if (contract.classes && !session.outputNames.includes(MODEL_CONSOLIDATION_OUTPUT_NAME)) {
      await session.release();
      throw new ModelLoadError(
        `Loading model failed (covseg.classes is "${contract.classes.join(',')}" but the graph has no output "${MODEL_CONSOLIDATION_OUTPUT_NAME}", found ${session.outputNames.join(',')}): ${path}`,
        path,
      );
    }
    const model = new SegmentationModel(session, contract, path, batchSize, executionProvider, sha256);
    model.inferenceNiceness = inferenceNiceness;
    return model;
  }

  /**
   * Runs one batch.
   * @param batch n x C x S x S float32, NCHW (see `contract`); not modified, not retained.
   * @returns n x 1 x S x S probabilities in [0, 1]; a new array owned by the caller.
   */
  async predict(batch: Float32Array, n: number): Promise<Float32Array> {
    return (await this.predictOutputs(batch, n)).prob;
  }

  /** True when the contract declares infection classes (a `consolidation` output). */
  get multiClass(): boolean {
    return this.contract.classes !== undefined;
  }

  /**
   * Runs one batch and returns every output of the contract: `prob`, plus `consolidation` for a
   * multi-class model (one run computes both).
   * @param batch n x C x S x S float32, NCHW; not modified, not retained.
   */
  async predictOutputs(batch: Float32Array, n: number): Promise<ModelOutputs> {
    if (this.released) throw new InferenceError(`Inference failed (model was released): ${this.path}`);
    const { inputSize: s, inputChannels: c } = this.contract;
    if (!Number.isInteger(n) || n < 1 || batch.length !== n * c * s * s) {
      throw new InvalidInputError(`Inference input has ${batch.length} values, expected ${n} x ${c} x ${s} x ${s}: ${this.path}`);
    }
    const names = this.multiClass ? [MODEL_OUTPUT_NAME, MODEL_CONSOLIDATION_OUTPUT_NAME] : [MODEL_OUTPUT_NAME];
    let outputs: { data: Float32Array }[] | undefined;
    try {
      outputs = await this.runner.run(MODEL_INPUT_NAME, names, batch, [n, c, s, s]);
    } catch (cause) {
      throw new InferenceError(`Inference failed (onnxruntime run of ${n} slices): ${this.path}`, { cause });
    }
    if (!outputs || outputs.some((o) => o.data.length !== n * s * s)) {
      throw new InferenceError(`Inference failed (outputs "${names.join('", "')}" are not each ${n} x 1 x ${s} x ${s} float32): ${this.path}`);
    }
    return { prob: outputs[0]!.data, ...(outputs[1] ? { consolidation: outputs[1].data } : {}) };
  }

  /**
   * Runs `n` slices in chunks of `batchSize`.
   * @param batch n x C x S x S float32 NCHW; not retained.
   * @returns n x S x S probabilities, a new array owned by the caller.
   */
  async predictBatched(batch: Float32Array, n: number, onChunk?: (done: number) => void): Promise<Float32Array> {
    const { inputSize: s, inputChannels: c } = this.contract;
    const inPlane = c * s * s;
    const outPlane = s * s;
    if (batch.length !== n * inPlane) {
      throw new InvalidInputError(`Inference input has ${batch.length} values, expected ${n} x ${c} x ${s} x ${s}: ${this.path}`);
    }
    const out = new Float32Array(n * outPlane);
    for (let start = 0; start < n; start += this.batchSize) {
      const count = Math.min(this.batchSize, n - start);
      const prob = await this.predict(batch.subarray(start * inPlane, (start + count) * inPlane), count);
      out.set(prob, start * outPlane);
      onChunk?.(start + count);
    }
    return out;
  }

  /**
   * Runs one batch of `batchSize` blank slices and discards the output, so that onnxruntime allocates
   * its arena for a full batch and sets itself up now, not in the first real batch: a cold session's
   * first batch took ~0.9 s against ~0.25 s for the next (2-core VM, batch 4, 160²), mostly faulting in
   * the arena's fresh pages. Leaves the arena allocated, as any batch does.
   * @throws InferenceError as `predict`.
   */
  async warmUp(): Promise<void> {
    const { inputSize: s, inputChannels: c } = this.contract;
    await this.predict(new Float32Array(this.batchSize * c * s * s), this.batchSize);
  }

  /**
   * Frees the memory the session keeps between runs: onnxruntime's CPU arena holds the largest batch's
   * activations (~80-110 MB at batch 4, 160² input) for the session's life. The session is replaced by a
   * new one from the same file (same outputs); the next `predict` grows the arena again, paying its
   * allocation (about as long as a cold session's first run). Runs in flight finish first; runs started
   * meanwhile wait. For a caller whose memory peaks after inference (a large volume's postprocessing).
   * @throws InferenceError when the new session cannot be created (the model is then unusable).
   */
  async releaseWorkingMemory(): Promise<void> {
    if (this.released) throw new InferenceError(`Releasing the model's working memory failed (model was released): ${this.path}`);
    try {
      await this.runner.trim();
    } catch (cause) {
      throw new InferenceError(`Releasing the model's working memory failed (onnxruntime could not create the session again): ${this.path}`, { cause });
    }
  }

  /**
   * Hands this model to another thread (post the result with its `port` transferred; the thread calls
   * `SegmentationModel.attach`): the session stays here and in its onnxruntime thread, shared, so a
   * second thread costs no second arena. Only for a model loaded with `thread: 'worker'`. The port
   * closes, and the attached model's runs fail, when this model is released.
   * @throws InferenceError for a model released or loaded with `thread: 'main'`.
   */
  async share(): Promise<SharedSegmentationModel> {
    if (this.released) throw new InferenceError(`Sharing the model failed (model was released): ${this.path}`);
    if (!this.runner.connect) throw new InferenceError(`Sharing the model failed (only a model loaded with thread 'worker' can be shared): ${this.path}`);
    const port = await this.runner.connect();
    return {
      port,
      contract: this.contract,
      path: this.path,
      batchSize: this.batchSize,
      executionProvider: this.executionProvider,
      sha256: this.sha256,
      inputNames: this.runner.inputNames,
      outputNames: this.runner.outputNames,
      inferenceNiceness: this.inferenceNiceness,
    };
  }

  /**
   * The model `share()` handed over, in this thread. Its `release()` closes the port only; the session
   * belongs to the sharing thread's model.
   */
  static attach(shared: SharedSegmentationModel): SegmentationModel {
    const runner = createPortRunner(shared.port, shared);
    const model = new SegmentationModel(runner, shared.contract, shared.path, shared.batchSize, shared.executionProvider, shared.sha256);
    model.inferenceNiceness = shared.inferenceNiceness;
    return model;
  }

  /** Frees the native session. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.runner.release();
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { QUEUE_CONFIG, QueueConfig } from '../../core/config/queue.config';
import { SegmentationModel } from '@covseg/segmentation';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';

/**
 * Owns the one ONNX model of the server: loaded once at boot (a missing or invalid model fails the boot
 * with the path and the reason) and released at shutdown. Sessions are not shared across processes.
 */
@Injectable()
export class ModelRepository implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ModelRepository.name);
  private model: SegmentationModel | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(QUEUE_CONFIG) private readonly queueConfig: QueueConfig,
  ) {}

  /** False in a ROLE=api process: API processes never run inference, so they do not load the model. */
  get loadsModel(): boolean {
    return this.queueConfig.role !== 'api';
  }

  async onModuleInit(): Promise<void> {
    if (!this.loadsModel) {
      this.logger.log('ROLE=api: the model is not loaded here; inference runs in ROLE=worker processes');
      return;
    }
    this.model = await SegmentationModel.load(this.config.modelPath, {
      executionProvider: this.config.executionProvider,
      thread: this.config.inferenceThread,
      threadNiceness: this.config.inferenceNice,
      ...(this.config.ortThreads !== undefined ? { intraOpThreads: this.config.ortThreads } : {}),
    });
    // One blank batch now, so the first job's first batch does not pay onnxruntime's set-up (~0.7 s on the
    // 2-core VM): the bench's floor times a warm model, and a model that loads but cannot run fails the boot.
    try {
      await this.model.warmUp();
    } catch (error) {
      await this.model.release();
      this.model = undefined;
      throw error;
    }
    const { name, version, trained } = this.model;
    const niceness = this.model.inferenceNiceness === undefined ? '' : `, inference thread at nice ${this.model.inferenceNiceness}`;
    this.logger.log(`Loaded model ${name} ${version} (${trained ? 'trained' : 'UNTRAINED'}) on ${this.config.executionProvider}${niceness} from ${this.config.modelPath}`);
    if (this.config.inferenceThread === 'worker' && this.model.inferenceNiceness === undefined) {
      this.logger.warn(`INFERENCE_NICE=${this.config.inferenceNice} could not be applied (per-thread niceness needs Linux): inference competes with HTTP at the process's own priority`);
    }
    if (!trained) this.logger.warn(`Model ${name} ${version} is UNTRAINED (covseg.trained=untrained): its segmentations are meaningless`);
  }

  getModel(): SegmentationModel | undefined {
    return this.model;
  }

  getModelOrFail(): SegmentationModel {
    if (!this.loadsModel) throw new ServiceUnavailableException('This is a ROLE=api process: it runs no inference. Segment through a job (POST /api/jobs), which a worker runs');
    if (!this.model) throw new Error(`The segmentation model is not loaded: ${this.config.modelPath}`);
    return this.model;
  }

  /** After the job worker stopped its jobs (its onModuleDestroy runs first). */
  async onApplicationShutdown(): Promise<void> {
    await this.model?.release();
    this.model = undefined;
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
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

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.model = await SegmentationModel.load(this.config.modelPath, {
      executionProvider: this.config.executionProvider,
      thread: this.config.inferenceThread,
      ...(this.config.ortThreads !== undefined ? { intraOpThreads: this.config.ortThreads } : {}),
    });
    const { name, version, trained } = this.model;
    this.logger.log(`Loaded model ${name} ${version} (${trained ? 'trained' : 'UNTRAINED'}) on ${this.config.executionProvider} from ${this.config.modelPath}`);
    if (!trained) this.logger.warn(`Model ${name} ${version} is UNTRAINED (covseg.trained=untrained): its segmentations are meaningless`);
  }

  getModel(): SegmentationModel | undefined {
    return this.model;
  }

  getModelOrFail(): SegmentationModel {
    if (!this.model) throw new Error(`The segmentation model is not loaded: ${this.config.modelPath}`);
    return this.model;
  }

  /** After the job worker stopped its jobs (its onModuleDestroy runs first). */
  async onApplicationShutdown(): Promise<void> {
    await this.model?.release();
    this.model = undefined;
  }
}

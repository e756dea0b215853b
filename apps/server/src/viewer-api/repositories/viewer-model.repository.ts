import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { SegmentationModel } from '@covseg/segmentation';
import { ModelRepository } from '../../model/repositories/model.repository';

/** The model is still loading or failed to load; uploads wait for it rather than running without one. */
export class ModelUnavailableError extends ServiceUnavailableException {
  override name = 'ModelUnavailableError';
}

/**
 * The server's one loaded model, for the slice-upload path. ModelModule is a singleton module, so this is
 * the same session the jobs use (never a second copy of the model in memory).
 */
@Injectable()
export class ViewerModelRepository {
  constructor(private readonly models: ModelRepository) {}

  getModelOrFail(): SegmentationModel {
    const model = this.models.getModel();
    if (!model) throw new ModelUnavailableError('Segmenting an uploaded slice failed: the model is not loaded yet');
    return model;
  }
}

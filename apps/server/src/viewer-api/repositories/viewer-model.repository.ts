import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { SegmentationModel } from '@covseg/segmentation';
import { ModelRepository } from '../../model/repositories/model.repository';

/** The model is still loading or failed to load; uploads wait for it rather than running without one. */
export class ModelUnavailableError extends ServiceUnavailableException {
  override name = 'ModelUnavailableError';
}

/**
 * The server's one loaded model, for the slice-upload path. ModelRepository is provided by AppModule (it
 * loads the ONNX file once at boot); we look it up instead of providing it again, which would load
 * a second copy of the model into memory.
 */
@Injectable()
export class ViewerModelRepository {
  constructor(private readonly moduleRef: ModuleRef) {}

  getModelOrFail(): SegmentationModel {
    const model = this.moduleRef.get(ModelRepository, { strict: false }).getModel();
    if (!model) throw new ModelUnavailableError('Segmenting an uploaded slice failed: the model is not loaded yet');
    return model;
  }
}

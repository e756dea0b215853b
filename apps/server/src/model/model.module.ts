import { Module } from '@nestjs/common';
import { ModelRepository } from './repositories/model.repository';

/** The U-Net model session, loaded once per process. Imported by the modules that run inference. */
@Module({
  providers: [ModelRepository],
  exports: [ModelRepository],
})
export class ModelModule {}

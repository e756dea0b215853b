import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { PacsModule } from '../pacs/pacs.module';
import { ReceivedStoreRepository } from './repositories/received-store.repository';
import { DicomListenerService } from './services/dicom-listener.service';

/**
 * DIMSE reception: the C-STORE SCP and the store of received instances. Exports the store, from which
 * the jobs module queues stable series and reads their pixels, and the listener's status.
 */
@Module({
  imports: [PacsModule, MetricsModule],
  providers: [ReceivedStoreRepository, DicomListenerService],
  exports: [ReceivedStoreRepository, DicomListenerService],
})
export class DimseModule {}

import { Module } from '@nestjs/common';
import { ReceivedStoreRepository } from './repositories/received-store.repository';
import { DicomListenerService } from './services/dicom-listener.service';

/**
 * DIMSE reception: the C-STORE SCP and the store of received instances. Depends only on the global
 * CoreModule (config, database, PACS endpoints). Exports the store, from which the job side queues
 * stable series and reads their pixels, and the listener's status.
 */
@Module({
  providers: [ReceivedStoreRepository, DicomListenerService],
  exports: [ReceivedStoreRepository, DicomListenerService],
})
export class DimseModule {}

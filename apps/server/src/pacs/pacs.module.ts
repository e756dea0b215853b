import { Module } from '@nestjs/common';
import { PacsEndpointController } from './controllers/pacs-endpoint.controller';
import { DicomwebRepository } from './repositories/dicomweb.repository';
import { DimseScuRepository } from './repositories/dimse-scu.repository';
import { PacsEndpointRepository } from './repositories/pacs-endpoint.repository';
import { PacsProbeRepository } from './repositories/pacs-probe.repository';
import { PacsEndpointService } from './services/pacs-endpoint.service';

/**
 * PACS endpoints (admin CRUD, connection test) and the ways to reach a PACS: DICOMweb clients and the
 * DIMSE SCU. `PacsEndpointService.getTarget(record)` gives a PACS's URL + Authorization.
 */
@Module({
  controllers: [PacsEndpointController],
  providers: [PacsEndpointRepository, PacsProbeRepository, DicomwebRepository, DimseScuRepository, PacsEndpointService],
  exports: [PacsEndpointService, PacsEndpointRepository, PacsProbeRepository, DicomwebRepository, DimseScuRepository],
})
export class PacsModule {}

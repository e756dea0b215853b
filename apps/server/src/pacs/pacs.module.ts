import { Module } from '@nestjs/common';
import { PacsEndpointController } from './controllers/pacs-endpoint.controller';
import { DimseScuRepository } from './repositories/dimse-scu.repository';
import { PacsEndpointRepository } from './repositories/pacs-endpoint.repository';
import { PacsGateway } from './repositories/pacs.gateway';
import { PacsProbeService } from './services/pacs-probe.service';
import { PacsEndpointService } from './services/pacs-endpoint.service';

/**
 * PACS endpoints (admin CRUD, connection test) and the one way to each PACS: PacsGateway for DICOMweb
 * (secrets, retry policy per use, hardened client) and the DIMSE SCU.
 */
@Module({
  controllers: [PacsEndpointController],
  providers: [PacsEndpointRepository, PacsGateway, PacsProbeService, DimseScuRepository, PacsEndpointService],
  exports: [PacsEndpointService, PacsEndpointRepository, PacsGateway, PacsProbeService, DimseScuRepository],
})
export class PacsModule {}

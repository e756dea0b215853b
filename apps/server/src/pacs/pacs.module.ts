import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { PacsEndpointController } from './controllers/pacs-endpoint.controller';
import { RequestLoopMiddleware } from './guards/request-loop.middleware';
import { DimseScuRepository } from './repositories/dimse-scu.repository';
import { PacsEndpointRepository } from './repositories/pacs-endpoint.repository';
import { PacsGateway } from './repositories/pacs.gateway';
import { PacsProbeService } from './services/pacs-probe.service';
import { PacsEndpointService } from './services/pacs-endpoint.service';
import { OwnRequestMarker } from './services/own-request-marker';
import { PacsStoreEvents } from './services/pacs-store-events';
import { SeriesRetrieveService } from './services/series-retrieve.service';

/**
 * PACS endpoints (admin CRUD, connection test) and the one way to each PACS: PacsGateway for DICOMweb
 * (secrets, retry policy per use, hardened client) and the DIMSE SCU. Every request refuses to be one of
 * the gateway's own coming back (RequestLoopMiddleware). SeriesRetrieveService chooses the transfer syntax a
 * job's series is retrieved in. PacsStoreEvents tells this process's readers of a PACS which study this
 * process just stored into.
 */
@Module({
  controllers: [PacsEndpointController],
  providers: [OwnRequestMarker, PacsEndpointRepository, PacsGateway, PacsProbeService, DimseScuRepository, PacsEndpointService, SeriesRetrieveService, PacsStoreEvents],
  exports: [PacsEndpointService, PacsEndpointRepository, PacsGateway, PacsProbeService, DimseScuRepository, SeriesRetrieveService, PacsStoreEvents],
})
export class PacsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLoopMiddleware).forRoutes('*');
  }
}

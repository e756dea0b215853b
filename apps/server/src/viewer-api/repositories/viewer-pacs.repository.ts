import { Injectable } from '@nestjs/common';
import { DicomwebClient } from '@covseg/dicom';
import { PacsEndpointRecord } from '../../pacs/repositories/pacs-endpoint.repository';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';

/**
 * DICOMweb clients for the viewer's server-side queries (study search, SEG lookup). The endpoint's
 * secret is opened by PacsEndpointService right before use and only handed to the client (never
 * returned or logged). One retry: the browser is waiting, a longer back-off helps nobody.
 */
@Injectable()
export class ViewerPacsRepository {
  constructor(private readonly endpoints: PacsEndpointService) {}

  clientFor(record: PacsEndpointRecord): DicomwebClient {
    return new DicomwebClient({ ...this.endpoints.getClientOptions(record), retries: 1 });
  }
}

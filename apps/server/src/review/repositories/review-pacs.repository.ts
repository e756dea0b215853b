import { Injectable } from '@nestjs/common';
import { DicomwebClient } from '@covseg/dicom';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';

/**
 * DICOMweb clients for saving corrections and checking reviewed results. PacsEndpointService stays the
 * one place that opens the endpoint's secret; this only sets the retry policy of this use: one retry
 * of reads (a reviewer is waiting). The client never retries STOW; CorrectionService resends the
 * stored bytes when the reviewer saves again.
 */
@Injectable()
export class ReviewPacsRepository {
  constructor(private readonly endpoints: PacsEndpointService) {}

  clientFor(endpointId: string): DicomwebClient {
    return new DicomwebClient({ ...this.endpoints.getClientOptions(this.endpoints.getRecordOrFail(endpointId)), retries: 1 });
  }
}

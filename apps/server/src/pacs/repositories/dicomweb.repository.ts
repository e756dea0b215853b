import { Injectable } from '@nestjs/common';
import { DicomwebClient, DicomwebClientOptions } from '@covseg/dicom';

/** Creates the DICOMweb clients the pipeline talks to a PACS through (the HTTP side effect lives here). */
@Injectable()
export class DicomwebRepository {
  createClient(options: DicomwebClientOptions): DicomwebClient {
    return new DicomwebClient(options);
  }
}

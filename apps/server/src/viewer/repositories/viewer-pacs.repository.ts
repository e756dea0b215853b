import { Injectable } from '@nestjs/common';
import { DicomwebAuth, DicomwebClient } from '@covseg/dicom';
import { PacsEndpointRecord } from '../../repositories/pacs-endpoint.repository';
import { SecretCipher } from '../../services/secret-cipher';

/**
 * DICOMweb clients for the viewer's server-side queries (study search, SEG lookup). The endpoint's
 * secret is opened here, right before use, and only handed to the client (never returned or logged).
 */
@Injectable()
export class ViewerPacsRepository {
  constructor(private readonly cipher: SecretCipher) {}

  clientFor(record: PacsEndpointRecord): DicomwebClient {
    return new DicomwebClient({ baseUrl: record.baseUrl, auth: this.authOf(record), timeoutMs: record.timeoutMs, retries: 1 });
  }

  private authOf(record: PacsEndpointRecord): DicomwebAuth {
    if (record.authType === 'none' || record.sealedSecret === null) return { type: 'none' };
    const secret = this.cipher.open(record.sealedSecret);
    if (record.authType === 'bearer') return { type: 'bearer', token: secret };
    return { type: 'basic', username: record.username ?? '', password: secret };
  }
}

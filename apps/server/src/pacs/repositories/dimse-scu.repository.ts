import { Inject, Injectable } from '@nestjs/common';
import { CStoreOutcome, DimseTarget, echoScu, storeScu } from '@covseg/dicom';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { PacsEndpointRecord } from './pacs-endpoint.repository';

/** Thrown when an endpoint lacks what a DIMSE operation needs (AE title, host, port). */
export class DimseNotConfiguredError extends Error {
  override name = 'DimseNotConfiguredError';
}

/**
 * Our DIMSE service user towards a PACS (the network side effect): C-STORE of result objects and
 * C-ECHO, as DICOM_AE_TITLE to the endpoint's AE title at its DICOM host and port.
 */
@Injectable()
export class DimseScuRepository {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Whether the endpoint has an AE title, host and port to send to. */
  isConfigured(record: PacsEndpointRecord): boolean {
    return record.dicomAeTitle !== null && record.dicomHost !== null && record.dicomPort !== null;
  }

  getTargetOrFail(record: PacsEndpointRecord): DimseTarget {
    if (record.dicomAeTitle === null || record.dicomHost === null || record.dicomPort === null) {
      throw new DimseNotConfiguredError(`PACS endpoint ${record.id} has no DICOM AE title, host and port for C-STORE/C-ECHO`);
    }
    return { host: record.dicomHost, port: record.dicomPort, calledAeTitle: record.dicomAeTitle, callingAeTitle: this.config.dicomAeTitle, timeoutMs: record.timeoutMs };
  }

  /** C-STORE of Part 10 objects in one association; see storeScu for the errors. */
  store(record: PacsEndpointRecord, objects: readonly Uint8Array[]): Promise<CStoreOutcome[]> {
    return storeScu(this.getTargetOrFail(record), objects);
  }

  /** C-ECHO; resolves with the round trip in ms. */
  echo(record: PacsEndpointRecord, timeoutMs?: number): Promise<number> {
    const target = this.getTargetOrFail(record);
    return echoScu({ ...target, timeoutMs: timeoutMs ?? target.timeoutMs });
  }
}

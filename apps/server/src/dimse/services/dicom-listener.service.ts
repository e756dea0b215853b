import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  AssociationDecision,
  DimseAssociationInfo,
  DimseEvent,
  readInstanceIdentity,
  RECEIVABLE_TRANSFER_SYNTAX_UIDS,
  ReceivedInstanceFile,
  StoreReply,
  StoreScp,
  StoreStatus,
  VERIFICATION_SOP_CLASS,
} from '@covseg/dicom';
import { APP_CONFIG, AppConfig, DicomListenerConfig } from '../../core/repositories/config.repository';
import { MetricsService } from '../../metrics/services/metrics.service';
import { PacsEndpointRecord, PacsEndpointRepository } from '../../pacs/repositories/pacs-endpoint.repository';
import { ReceivedStoreRepository } from '../repositories/received-store.repository';

/** Storage SOP classes we segment (PS3.4 B.5): CT, Enhanced CT, Legacy Converted Enhanced CT. */
export const ACCEPTED_SOP_CLASSES = ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.2.1', '1.2.840.10008.5.1.4.1.1.2.2'] as const;

export interface DicomListenerStatus {
  aeTitle: string;
  host: string;
  port: number;
  listening: boolean;
}

/**
 * Our C-STORE SCP (DICOM_PORT, AE title DICOM_AE_TITLE). Accepts associations only from the AE titles
 * of configured PACS endpoints, files each CT instance durably in the received store and answers
 * Success only after that. Logs carry AE titles, addresses and UIDs, never patient attributes.
 */
@Injectable()
export class DicomListenerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DicomListener');
  private scp: StoreScp | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly endpoints: PacsEndpointRepository,
    private readonly store: ReceivedStoreRepository,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const dicom = this.config.dicom;
    if (!dicom) return;
    this.store.prepare();
    const scp = new StoreScp({
      aeTitle: this.config.dicomAeTitle,
      host: dicom.host,
      port: dicom.port,
      tempDir: this.store.tempDir,
      maxInstanceBytes: dicom.maxInstanceBytes,
      maxAssociations: dicom.maxAssociations,
      timeoutMs: dicom.timeoutMs,
      sopClassUIDs: ACCEPTED_SOP_CLASSES,
      // What libs/dicom decodes, in its order of preference (uncompressed first); never a list of our own.
      transferSyntaxUIDs: RECEIVABLE_TRANSFER_SYNTAX_UIDS,
      checkAssociation: (info) => this.checkAssociation(info),
      onInstance: (info, file) => this.receive(dicom, info, file),
      onEvent: (event) => this.record(event),
    });
    try {
      await scp.listen();
    } catch (error) {
      throw new Error(`Listening for DICOM on ${dicom.host}:${dicom.port} (DICOM_PORT) failed: ${(error as Error).message}`, { cause: error });
    }
    this.scp = scp;
    this.logger.log(`DICOM C-STORE SCP ${this.config.dicomAeTitle} listening on ${dicom.host}:${scp.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.scp?.close();
    this.scp = undefined;
  }

  /** Where the listener is, for health and the demo; undefined when DICOM_PORT is not set. */
  getStatus(): DicomListenerStatus | undefined {
    const dicom = this.config.dicom;
    if (!dicom) return undefined;
    return { aeTitle: this.config.dicomAeTitle, host: dicom.host, port: this.scp?.port ?? dicom.port, listening: this.scp !== undefined };
  }

  /**
   * Storage needs both AE titles right: the called one is ours, the calling one belongs to a PACS
   * endpoint. C-ECHO is answered for anyone, to any called AE title, as PACSs do by default (Orthanc's
   * DicomAlwaysAllowEcho, DicomCheckCalledAet false): an association that proposes nothing but
   * Verification can store nothing, and a bare `echoscu host port` lets an admin test the network path.
   */
  private async checkAssociation(info: DimseAssociationInfo): Promise<AssociationDecision> {
    const echoOnly = info.proposedSopClassUIDs.length > 0 && info.proposedSopClassUIDs.every((uid) => uid === VERIFICATION_SOP_CLASS);
    if (echoOnly) return { accept: true };
    if (info.calledAeTitle !== this.config.dicomAeTitle) return { accept: false, reason: 'called-ae-not-recognized' };
    return (await this.getPushingEndpoint(info.callingAeTitle)) ? { accept: true } : { accept: false, reason: 'calling-ae-not-recognized' };
  }

  /** The enabled endpoint whose PACS uses this AE title: a disabled endpoint takes no new jobs, pushed or pulled. */
  private async getPushingEndpoint(callingAeTitle: string): Promise<PacsEndpointRecord | undefined> {
    const endpoint = await this.endpoints.getByDicomAeTitle(callingAeTitle);
    return endpoint && endpoint.disabledAt === null ? endpoint : undefined;
  }

  private async receive(dicom: DicomListenerConfig, info: DimseAssociationInfo, file: ReceivedInstanceFile): Promise<StoreReply> {
    // Looked up again per instance: an endpoint deleted or re-titled mid-association stops receiving at once.
    const endpoint = await this.getPushingEndpoint(info.callingAeTitle);
    if (!endpoint) return { status: 'refused', code: StoreStatus.OutOfResources, comment: 'calling AE title no longer configured or disabled' };
    let identity;
    try {
      identity = readInstanceIdentity(this.store.readHead(file.path));
    } catch (error) {
      return { status: 'refused', code: StoreStatus.CannotUnderstand, comment: (error as Error).message };
    }
    // PS3.4 B.2.3: the data set must be the instance the command announced.
    if (identity.sopInstanceUID !== file.sopInstanceUID || identity.sopClassUID !== file.sopClassUID) {
      return { status: 'refused', code: StoreStatus.DataSetDoesNotMatchSOPClass, comment: 'data set UIDs differ from the C-STORE command' };
    }
    if ((await this.store.usedBytes()) + file.byteLength > dicom.storeMaxBytes) {
      return { status: 'refused', code: StoreStatus.OutOfResources, comment: 'receive store full (DICOM_STORE_MAX_GB)' };
    }
    await this.store.add(endpoint.id, info.callingAeTitle, identity, file.path);
    return { status: 'stored' };
  }

  /** Counts the event on /metrics (covseg_dimse_*) and logs it. */
  private record(event: DimseEvent): void {
    const who = `${event.callingAeTitle ?? 'unknown AE'} from ${event.remoteAddress ?? 'unknown address'}`;
    switch (event.type) {
      case 'association-accepted':
        this.metrics.dimse('association-accepted');
        this.logger.log(`Association accepted: ${who}`);
        break;
      case 'association-rejected':
        this.metrics.dimse('association-rejected');
        this.logger.warn(`Association rejected (${event.detail}): ${who}`);
        break;
      case 'store-received':
        // One line per instance would flood the log of a 1,000-slice push; the counter is enough.
        this.metrics.dimse('store-received');
        break;
      case 'store-refused':
        this.metrics.dimse('store-refused');
        this.logger.warn(`C-STORE of SOP Instance ${event.sopInstanceUID} refused (${event.detail}): ${who}`);
        break;
      case 'echo':
        this.metrics.dimse('echo');
        break;
      case 'protocol-violation':
        this.logger.warn(`Association aborted, protocol violation (${event.detail}): ${who}`);
        break;
      case 'network-error':
        this.logger.debug(`Association ended: ${event.detail}: ${who}`);
        break;
    }
  }
}

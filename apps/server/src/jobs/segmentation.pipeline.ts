import { Inject, Injectable } from '@nestjs/common';
import { CtVolume } from '@covseg/dicom';
import { SegmentationModel, VolumeSegmentation } from '@covseg/segmentation';
import { JobQuantification, JobResult } from './job-result';
import { APP_CONFIG, AppConfig } from '../repositories/config.repository';
import { DicomwebRepository } from '../repositories/dicomweb.repository';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { DecodePoolRepository } from '../repositories/decode-pool.repository';
import { ModelRepository } from '../repositories/model.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { DimseScuRepository } from '../repositories/dimse-scu.repository';
import { PacsEndpointRecord } from '../repositories/pacs-endpoint.repository';
import { ReceivedStoreRepository } from '../dimse/repositories/received-store.repository';
import { PacsEndpointService } from '../services/pacs-endpoint.service';
import { decodeReceivedSeries, retrieveCtVolume } from './decode-series.step';
import { encodeSeg } from './encode-seg.step';
import { findSegOnPacs } from './find-existing-seg.step';
import { JobContext } from './job-context';
import { OutboxDeliveryFailedError, ReceivedSeriesMissingError } from './job.errors';
import { isTransient } from './job-failure';
import { cStoreTransport, ResultTransport, stowTransport } from './result-transport';
import { resolveSeries } from './select-series.step';
import { segmentCtVolume } from './segment-volume.step';
import { deliverSeg } from './store-seg.step';

/**
 * The whole job: QIDO → (existing SEG? return it) → WADO-RS retrieve → parse + CT volume → U-Net →
 * SEG → outbox → STOW-RS or C-STORE. The outbox write comes BEFORE delivery and a resumed job looks
 * there first, so a crash after the SEG was built stores that SEG later and never builds a second one.
 * A job of source `dimse` (a series the PACS pushed to our C-STORE SCP) skips QIDO/WADO and reads the
 * received files instead, so it needs no DICOMweb at all.
 */
@Injectable()
export class SegmentationPipeline {
  /** Jobs of the same series and model run one after the other, so the second finds the first's SEG. */
  private readonly seriesLocks = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxRepository,
    private readonly endpoints: PacsEndpointService,
    private readonly dicomweb: DicomwebRepository,
    private readonly models: ModelRepository,
    private readonly decoding: DecodePoolRepository,
    private readonly scu: DimseScuRepository,
    private readonly received: ReceivedStoreRepository,
  ) {}

  async run(job: JobRecord, signal: AbortSignal): Promise<JobResult> {
    const endpoint = this.endpoints.getRecordOrFail(job.pacsEndpointId);
    const client =
      endpoint.baseUrl === null
        ? undefined
        : this.dicomweb.createClient({
            ...this.endpoints.getClientOptions(endpoint),
            retries: this.config.pacsRetries,
            backoffMs: this.config.pacsRetryBaseMs,
          });
    const model = this.models.getModelOrFail();
    const context = new JobContext(job, client, model, signal, { retries: this.config.pacsRetries, baseMs: this.config.pacsRetryBaseMs, signal }, this.jobs);
    this.jobs.setModel(job.id, model.name, model.version);
    const transport = this.transportFor(endpoint, context);

    const pending = this.outbox.getForJob(job.id);
    if (pending) {
      if (pending.status === 'failed') throw new OutboxDeliveryFailedError(pending.segSopInstanceUID, pending.attempts, pending.lastError);
      await deliverSeg(context, this.outbox, pending, transport);
      return pending.result as JobResult;
    }

    // A pushed series is the series: no QIDO, no selection among the study's series.
    const resolved = job.source === 'dimse' && job.requestedSeriesInstanceUID ? { seriesInstanceUID: job.requestedSeriesInstanceUID } : await resolveSeries(context);
    const seriesInstanceUID = resolved.seriesInstanceUID;
    this.jobs.setSeries(job.id, seriesInstanceUID, 'selection' in resolved ? (resolved.selection ?? null) : null);

    return this.serialized(`${job.pacsEndpointId}|${seriesInstanceUID}|${model.name}|${model.version}`, signal, () =>
      this.segmentAndStore(context, seriesInstanceUID, transport, 'instances' in resolved ? resolved.instances : undefined),
    );
  }

  /** The endpoint's chosen way back for results; the DICOMweb client is only created if STOW is used. */
  private transportFor(endpoint: PacsEndpointRecord, context: JobContext): ResultTransport {
    return endpoint.resultTransport === 'c-store' ? cStoreTransport(this.scu, endpoint) : stowTransport(() => context.client);
  }

  /** The series as an HU volume: received over DIMSE (source dimse), or streamed with WADO-RS and decoded as it arrives. */
  private async loadVolume(context: JobContext, seriesInstanceUID: string, expectedSlices: number | undefined): Promise<CtVolume> {
    const { job } = context;
    if (job.source === 'dimse') {
      const files = await context.time('retrieve', () => this.received.readSeries(job.pacsEndpointId, seriesInstanceUID));
      if (files.length === 0) throw new ReceivedSeriesMissingError(seriesInstanceUID);
      return decodeReceivedSeries(context, files, this.decoding.pool);
    }
    return retrieveCtVolume(context, seriesInstanceUID, this.decoding.pool, expectedSlices);
  }

  private async segmentAndStore(context: JobContext, seriesInstanceUID: string, transport: ResultTransport, expectedSlices: number | undefined): Promise<JobResult> {
    const { job, model } = context;
    if (!job.force) {
      const existing = await this.findExisting(context, seriesInstanceUID);
      if (existing) return existing;
    }

    const volume = await this.loadVolume(context, seriesInstanceUID, expectedSlices);
    context.progress(0, volume.geometry.slices);
    const segmentation = await segmentCtVolume(context, volume);
    const seg = await context.time('segEncode', () => encodeSeg(volume, segmentation, model));

    const result: JobResult = {
      segSeriesInstanceUID: seg.seriesInstanceUID,
      segSopInstanceUID: seg.sopInstanceUID,
      reused: 'none',
      slices: volume.geometry.slices,
      slicesInferred: segmentation.slicesInferred,
      model: describeModel(model),
      quantification: toQuantification(segmentation),
      segBytes: seg.bytes.byteLength,
    };
    const entry = this.outbox.add(
      {
        jobId: job.id,
        pacsEndpointId: job.pacsEndpointId,
        studyInstanceUID: job.studyInstanceUID,
        sourceSeriesInstanceUID: seriesInstanceUID,
        modelName: model.name,
        modelVersion: model.version,
        segSeriesInstanceUID: seg.seriesInstanceUID,
        segSopInstanceUID: seg.sopInstanceUID,
        result,
      },
      seg.bytes,
    );
    await deliverSeg(context, this.outbox, entry, transport);
    return result;
  }

  /** Runs `operation` after every earlier operation with the same key has settled (with JOB_CONCURRENCY > 1). */
  private async serialized<T>(key: string, signal: AbortSignal, operation: () => Promise<T>): Promise<T> {
    const previous = this.seriesLocks.get(key);
    const current = (async () => {
      if (previous) await previous.catch(() => undefined);
      if (signal.aborted) throw signal.reason;
      return operation();
    })();
    this.seriesLocks.set(key, current);
    try {
      return await current;
    } finally {
      if (this.seriesLocks.get(key) === current) this.seriesLocks.delete(key);
    }
  }

  /** Idempotent write-back: a SEG of this series by this model version, in our outbox or on the PACS. */
  private async findExisting(context: JobContext, seriesInstanceUID: string): Promise<JobResult | undefined> {
    const { job, model } = context;
    const delivered = this.outbox.findDelivered(job.pacsEndpointId, seriesInstanceUID, model.name, model.version);
    // A trained export may keep the untrained placeholder's version; never hand back the placeholder's SEG.
    if (delivered && (delivered.result as JobResult).model.trained === model.trained) return { ...(delivered.result as JobResult), reused: 'database' };
    // Without DICOMweb there is no QIDO to ask; our outbox is the record of what we delivered.
    if (this.endpoints.getRecordOrFail(job.pacsEndpointId).baseUrl === null) return undefined;
    const onPacs = await context.time('qido', () => findSegOnPacs(context, seriesInstanceUID).catch((error: unknown) => {
      // A pushed series' instances exist only here until its job ends: a DICOMweb outage during this
      // optional check must not fail (and so release) them. Pulled jobs fail as before.
      if (job.source === 'dimse' && isTransient(error)) return undefined;
      throw error;
    }));
    if (onPacs) return { ...onPacs, reused: 'pacs', model: describeModel(model), quantification: null };
    return undefined;
  }
}

function describeModel(model: SegmentationModel): JobResult['model'] {
  return { name: model.name, version: model.version, trained: model.trained };
}

function toQuantification(segmentation: VolumeSegmentation): JobQuantification {
  const q = segmentation.quantification;
  const region = (r: { infectionMl: number; lungMl: number; percentInvolved: number }) => ({
    infectionVolumeMl: round(r.infectionMl),
    lungVolumeMl: round(r.lungMl),
    involvementPercent: round(r.percentInvolved),
  });
  return { ...region(q), ...(q.right ? { right: region(q.right) } : {}), ...(q.left ? { left: region(q.left) } : {}) };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

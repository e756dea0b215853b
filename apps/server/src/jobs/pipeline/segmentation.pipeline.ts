import { Inject, Injectable } from '@nestjs/common';
import { CtVolume } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';
import { JobResult, JobRetrieveResult, RegionQuantificationResult } from './job-result';
import { BuiltResult, ResultBuildOptions, buildSegmentationResult } from './build-result';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { DecodePoolRepository } from '../repositories/decode-pool.repository';
import { SegmentationThreadRepository } from '../repositories/segmentation-thread.repository';
import { ModelRepository } from '../../model/repositories/model.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { DimseScuRepository } from '../../pacs/repositories/dimse-scu.repository';
import { PacsEndpointRecord } from '../../pacs/repositories/pacs-endpoint.repository';
import { ReceivedStoreRepository } from '../../dimse/repositories/received-store.repository';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { PacsStoreEvents } from '../../pacs/services/pacs-store-events';
import { SeriesRetrieveService } from '../../pacs/services/series-retrieve.service';
import { COMPREHENSIVE_3D_SR_STORAGE, LungRegionFigures, deviceUidFromDigest, lungFiguresOf } from '@covseg/dicom';
import { decodeReceivedSeries, retrieveCtVolume } from './decode-series.step';
import { deliverResult } from './deliver-result.step';
import { ResultsOnPacs, findResultsOnPacs, nextRun } from './find-existing-result.step';
import { JobContext } from './job-context';
import { OutboxDeliveryFailedError, ReceivedSeriesMissingError } from './job.errors';
import { isTransient } from './job-failure';
import { announcingStores, cStoreTransport, ResultTransport, stowTransport } from './result-transport';
import { resolveSeries } from './select-series.step';
import { HeldVolume, holdVolume } from './held-volume';

/**
 * The whole job: QIDO → (existing result? return it) → WADO-RS retrieve → parse + CT volume → U-Net →
 * SEG + SR (+ key images) → outbox → STOW-RS or C-STORE. The outbox write comes BEFORE delivery and a
 * resumed job looks there first, so a crash after the result was built stores that result later and
 * never builds a second one.
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
    private readonly gateway: PacsGateway,
    private readonly models: ModelRepository,
    private readonly decoding: DecodePoolRepository,
    private readonly threads: SegmentationThreadRepository,
    private readonly scu: DimseScuRepository,
    private readonly received: ReceivedStoreRepository,
    private readonly retrieval: SeriesRetrieveService,
    private readonly storeEvents: PacsStoreEvents,
  ) {}

  async run(job: JobRecord, signal: AbortSignal): Promise<JobResult> {
    const endpoint = await this.endpoints.getRecordOrFail(job.pacsEndpointId);
    const client = endpoint.baseUrl === null ? undefined : await this.gateway.client(endpoint, 'job');
    const model = this.models.getModelOrFail();
    const context = new JobContext(job, client, model, signal, { retries: this.config.pacsRetries, baseMs: this.config.pacsRetryBaseMs }, this.jobs);
    await this.jobs.setModel(job.id, model.name, model.version);
    const transport = this.transportFor(endpoint, context);

    const pending = await this.outbox.getForJob(job.id);
    if (pending) {
      if (pending.status === 'failed') throw new OutboxDeliveryFailedError(pending.segSopInstanceUID, pending.attempts, pending.lastError);
      await deliverResult(context, this.outbox, pending, transport);
      return pending.result as JobResult;
    }

    // A pushed series is the series: no QIDO, no selection among the study's series.
    const resolved = job.source === 'dimse' && job.requestedSeriesInstanceUID ? { seriesInstanceUID: job.requestedSeriesInstanceUID } : await resolveSeries(context);
    const seriesInstanceUID = resolved.seriesInstanceUID;
    await this.jobs.setSeries(job.id, seriesInstanceUID, 'selection' in resolved ? (resolved.selection ?? null) : null);

    return this.serialized(`${job.pacsEndpointId}|${seriesInstanceUID}|${model.name}|${model.version}`, signal, () =>
      this.segmentAndStore(context, seriesInstanceUID, transport, endpoint, 'instances' in resolved ? resolved.instances : undefined),
    );
  }

  /** The endpoint's chosen way back for results; the DICOMweb client is only created if STOW is used. */
  private transportFor(endpoint: PacsEndpointRecord, context: JobContext): ResultTransport {
    const transport = endpoint.resultTransport === 'c-store' ? cStoreTransport(this.scu, endpoint) : stowTransport(() => context.client);
    return announcingStores(transport, (study) => this.storeEvents.stored(endpoint.id, study));
  }

  /** The series as an HU volume: received over DIMSE (source dimse), or streamed with WADO-RS and decoded as it arrives. */
  private async loadVolume(context: JobContext, seriesInstanceUID: string, expectedSlices: number | undefined): Promise<{ volume: CtVolume; retrieve?: JobRetrieveResult }> {
    const { job } = context;
    if (job.source === 'dimse') {
      const files = await context.time('retrieve', () => this.received.readSeries(job.pacsEndpointId, seriesInstanceUID));
      if (files.length === 0) throw new ReceivedSeriesMissingError(seriesInstanceUID);
      return { volume: await decodeReceivedSeries(context, files, this.decoding.pool) };
    }
    return retrieveCtVolume(context, seriesInstanceUID, this.decoding.pool, this.retrieval, expectedSlices);
  }

  private async segmentAndStore(
    context: JobContext,
    seriesInstanceUID: string,
    transport: ResultTransport,
    endpoint: PacsEndpointRecord,
    expectedSlices: number | undefined,
  ): Promise<JobResult> {
    const { job, model } = context;
    const withKeyImages = endpoint.keyImages;
    if (!job.force) {
      const delivered = await this.findDelivered(context, seriesInstanceUID);
      if (delivered) return delivered;
    }
    const onPacs = await this.resultsOnPacs(context, seriesInstanceUID, endpoint);
    if (!job.force) {
      const reusable = reusableResult(onPacs, model);
      if (reusable) return reusable;
    }
    // force, or nothing of this exact model build to reuse: a new run that supersedes every earlier report.
    const run = nextRun(onPacs);
    const predecessors = onPacs.reports.map((r) => ({
      studyInstanceUID: r.studyInstanceUID,
      seriesInstanceUID: r.srSeriesInstanceUID,
      sopInstanceUID: r.srSopInstanceUID,
      sopClassUID: COMPREHENSIVE_3D_SR_STORAGE,
    }));

    // The volume and its masks live only inside buildResult: from the outbox write and delivery on, the
    // job holds the encoded objects alone (a 600-slice volume and its masks are ~0.6 GB).
    const { seg, sr, keyImages, quantification, slices, slicesInferred, retrieve } = await this.buildResult(context, seriesInstanceUID, expectedSlices, { run, predecessors, withKeyImages });

    const result: JobResult = {
      segSeriesInstanceUID: seg.seriesInstanceUID,
      segSopInstanceUID: seg.sopInstanceUID,
      srSeriesInstanceUID: sr.seriesInstanceUID,
      srSopInstanceUID: sr.sopInstanceUID,
      reused: 'none',
      run,
      supersedes: predecessors.map((p) => p.sopInstanceUID),
      deviceUID: deviceUidFromDigest(model.sha256),
      slices,
      slicesInferred,
      model: describeModel(model),
      quantification,
      segBytes: seg.bytes.byteLength,
      ...(withKeyImages ? { keyImages: keyImages.length } : {}),
      ...(retrieve ? { retrieve } : {}),
    };
    // The SR goes last: an SR on the PACS means the rest of its result got there first.
    const objects = [{ sopInstanceUID: seg.sopInstanceUID, bytes: seg.bytes }, ...keyImages, { sopInstanceUID: sr.sopInstanceUID, bytes: sr.bytes }];
    const entry = await this.outbox.add(
      {
        jobId: job.id,
        pacsEndpointId: job.pacsEndpointId,
        studyInstanceUID: job.studyInstanceUID,
        sourceSeriesInstanceUID: seriesInstanceUID,
        modelName: model.name,
        modelVersion: model.version,
        segSeriesInstanceUID: seg.seriesInstanceUID,
        segSopInstanceUID: seg.sopInstanceUID,
        srSopInstanceUID: sr.sopInstanceUID,
        result,
      },
      objects,
    );
    // The objects just written, sent as they are rather than read back (deliverResult's `written`).
    await deliverResult(
      context,
      this.outbox,
      entry,
      transport,
      objects.map((o) => o.bytes),
    );
    await context.flush();
    return result;
  }

  /**
   * Retrieve or read and decode here; then segment and encode (SEG, SR, key images) in a segmentation
   * thread (SegmentationThreadRepository), so the event loop stays with HTTP while the job computes.
   * With ORT_INFERENCE_THREAD=main (the model has no thread to share) the same function runs here.
   */
  private async buildResult(
    context: JobContext,
    seriesInstanceUID: string,
    expectedSlices: number | undefined,
    options: ResultBuildOptions,
  ): Promise<BuiltResult & { retrieve?: JobRetrieveResult }> {
    // The thread loads its modules while the series downloads, not after.
    if (this.config.inferenceThread === 'worker') this.threads.prepare();
    const { volume, retrieve } = await this.loadHeldVolume(context, seriesInstanceUID, expectedSlices);
    context.progress(0, volume.geometry.slices);
    const built = await this.segmentAndEncode(context, volume, options);
    return { ...built, ...(retrieve ? { retrieve } : {}) };
  }

  /** loadVolume's volume with its HU in a handle; its own function, so that no local of the caller keeps the HU. */
  private async loadHeldVolume(context: JobContext, seriesInstanceUID: string, expectedSlices: number | undefined): Promise<{ volume: HeldVolume; retrieve?: JobRetrieveResult }> {
    const { volume, retrieve } = await this.loadVolume(context, seriesInstanceUID, expectedSlices);
    return { volume: holdVolume(volume), ...(retrieve ? { retrieve } : {}) };
  }

  private async segmentAndEncode(context: JobContext, volume: HeldVolume, options: ResultBuildOptions): Promise<BuiltResult> {
    if (this.config.inferenceThread === 'main') return buildSegmentationResult(context.model, volume, options, context);
    try {
      return await this.threads.build(context.model, volume, options, {
        signal: context.signal,
        onEvent: (event) => {
          if (event.kind === 'stage') context.setStage(event.stage);
          else if (event.kind === 'progress') context.progress(event.done, event.total);
          else context.addTiming(event.stage, event.ms);
        },
      });
    } finally {
      await context.flush();
    }
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

  /** Idempotent write-back, first step: a result of this series by this model build that we delivered ourselves. */
  private async findDelivered(context: JobContext, seriesInstanceUID: string): Promise<JobResult | undefined> {
    const { job, model } = context;
    const delivered = await this.outbox.findDelivered(job.pacsEndpointId, seriesInstanceUID, model.name, model.version);
    if (!delivered) return undefined;
    const result = delivered.result as JobResult;
    // A trained export may keep the untrained placeholder's version; never hand back the placeholder's result.
    if (result.model.trained !== model.trained) return undefined;
    // A result from before SRs (no SR) or from another build of this version is not reused: the job writes a new run.
    if (!result.srSopInstanceUID || result.deviceUID !== deviceUidFromDigest(model.sha256)) return undefined;
    return { ...result, reused: 'database' };
  }

  /**
   * Our earlier results of the series on the PACS (QIDO-RS). Without DICOMweb there is no QIDO to ask:
   * our outbox is the record of what we delivered. A pushed series' instances exist only here until its
   * job ends, so a DICOMweb outage during this check must not fail (and so release) them.
   */
  private async resultsOnPacs(context: JobContext, seriesInstanceUID: string, endpoint: PacsEndpointRecord): Promise<ResultsOnPacs> {
    if (endpoint.baseUrl === null) return { segs: [], reports: [] };
    return context.time('qido', () =>
      findResultsOnPacs(context, seriesInstanceUID).catch((error: unknown) => {
        if (context.job.source === 'dimse' && isTransient(error)) return { segs: [], reports: [] };
        throw error;
      }),
    );
  }
}

/**
 * Idempotent write-back, second step: the newest report on the PACS made by this exact model build
 * (its Device Observer UID), whose SEG is on the PACS too and that has figures. Its figures come from
 * the report, so a reused result always has them. Undefined sends the job on to write a new run.
 */
function reusableResult(onPacs: ResultsOnPacs, model: SegmentationModel): JobResult | undefined {
  const deviceUID = deviceUidFromDigest(model.sha256);
  const candidates = onPacs.reports.filter((r) => r.report.deviceObserverUid === deviceUID).sort((a, b) => b.run - a.run);
  for (const candidate of candidates) {
    const segSopInstanceUID = candidate.report.groups[0]?.segSopInstanceUID;
    const seg = onPacs.segs.find((s) => s.segSopInstanceUID === segSopInstanceUID);
    const figures = lungFiguresOf(candidate.report);
    if (!seg || !figures) continue;
    return {
      segSeriesInstanceUID: seg.segSeriesInstanceUID,
      segSopInstanceUID: seg.segSopInstanceUID,
      srSeriesInstanceUID: candidate.srSeriesInstanceUID,
      srSopInstanceUID: candidate.srSopInstanceUID,
      reused: 'pacs',
      run: candidate.run,
      supersedes: candidate.report.predecessorSopInstanceUIDs,
      deviceUID,
      model: describeModel(model),
      quantification: {
        ...regionResult(figures),
        ...(figures.right ? { right: regionResult(figures.right) } : {}),
        ...(figures.left ? { left: regionResult(figures.left) } : {}),
      },
    };
  }
  return undefined;
}

const regionResult = (r: LungRegionFigures): RegionQuantificationResult => ({
  infectionVolumeMl: r.infectionMl,
  lungVolumeMl: r.lungMl,
  involvementPercent: r.involvementPercent,
  ...(r.classes ? { classes: r.classes } : {}),
});

function describeModel(model: SegmentationModel): JobResult['model'] {
  return { name: model.name, version: model.version, trained: model.trained };
}


import { Inject, Injectable } from '@nestjs/common';
import { SegmentationModel, VolumeSegmentation } from '@covseg/segmentation';
import { JobQuantification, JobResult } from './job-result';
import { APP_CONFIG, AppConfig } from '../repositories/config.repository';
import { DicomwebRepository } from '../repositories/dicomweb.repository';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { DecodePoolRepository } from '../repositories/decode-pool.repository';
import { ModelRepository } from '../repositories/model.repository';
import { OutboxRepository } from '../repositories/outbox.repository';
import { PacsEndpointService } from '../services/pacs-endpoint.service';
import { retrieveCtVolume } from './decode-series.step';
import { encodeSeg } from './encode-seg.step';
import { findSegOnPacs } from './find-existing-seg.step';
import { JobContext } from './job-context';
import { resolveSeries } from './select-series.step';
import { segmentCtVolume } from './segment-volume.step';
import { deliverSeg } from './store-seg.step';

/**
 * The whole job: QIDO → (existing SEG? return it) → WADO-RS retrieve → parse + CT volume → U-Net →
 * SEG → outbox → STOW-RS. The outbox write comes BEFORE STOW and a resumed job looks there first, so
 * a crash after the SEG was built stores that SEG later and never builds a second one.
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
  ) {}

  async run(job: JobRecord, signal: AbortSignal): Promise<JobResult> {
    const endpoint = this.endpoints.getRecordOrFail(job.pacsEndpointId);
    const client = this.dicomweb.createClient({
      ...this.endpoints.getClientOptions(endpoint),
      retries: this.config.pacsRetries,
      backoffMs: this.config.pacsRetryBaseMs,
    });
    const model = this.models.getModelOrFail();
    const context = new JobContext(job, client, model, signal, { retries: this.config.pacsRetries, baseMs: this.config.pacsRetryBaseMs, signal }, this.jobs);
    this.jobs.setModel(job.id, model.name, model.version);

    const pending = this.outbox.getForJob(job.id);
    if (pending) {
      await deliverSeg(context, this.outbox, pending);
      return pending.result as JobResult;
    }

    const resolved = await resolveSeries(context);
    const seriesInstanceUID = resolved.seriesInstanceUID;
    this.jobs.setSeries(job.id, seriesInstanceUID, resolved.selection ?? null);

    return this.serialized(`${job.pacsEndpointId}|${seriesInstanceUID}|${model.name}|${model.version}`, signal, () =>
      this.segmentAndStore(context, seriesInstanceUID, resolved.instances),
    );
  }

  private async segmentAndStore(context: JobContext, seriesInstanceUID: string, expectedSlices: number | undefined): Promise<JobResult> {
    const { job, model } = context;
    if (!job.force) {
      const existing = await this.findExisting(context, seriesInstanceUID);
      if (existing) return existing;
    }

    const volume = await retrieveCtVolume(context, seriesInstanceUID, this.decoding.pool, expectedSlices);
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
    await deliverSeg(context, this.outbox, entry);
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
    const onPacs = await context.time('qido', () => findSegOnPacs(context, seriesInstanceUID));
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

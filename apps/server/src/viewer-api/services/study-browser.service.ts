import { Injectable } from '@nestjs/common';
import { DicomJsonDataset, DicomwebClient, getJsonNumber, getJsonString, getJsonValues } from '@covseg/dicom';
import { JobRecord, JobRepository } from '../../jobs/repositories/job.repository';
import { CorrectionRepository } from '../../review/repositories/correction.repository';
import { ReviewService, type StudyReviewStatus } from '../../review/services/review.service';
import { SeriesQueryDto, SeriesSummaryDto, StudySearchQueryDto, StudySummaryDto } from '../dtos/study.dto';
import { callPacs } from '../../pacs/pacs.errors';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { classInvolvementOf } from './result-figures';

const STUDY_LIMIT = 200;
/** How many recent jobs are scanned for each study's status (the jobs table is small and indexed by time). */
const JOB_WINDOW = 1000;
/** At most this many studies per search get a PACS lookup for our SEG, this many at a time. */
const SEG_LOOKUPS = 50;
const SEG_LOOKUP_PARALLEL = 6;
/** SeriesDescription of our SEGs: `<model name> <version> infection+lung[ run <n>]` (jobs/result-series.ts). */
const OUR_SEG_DESCRIPTION = /^\S+ \S+ infection\+lung(?: run [1-9][0-9]*)?$/;

/** Study search for the viewer: QIDO-RS on the chosen endpoint, joined with our jobs table. */
@Injectable()
export class StudyBrowserService {
  constructor(
    private readonly pacs: PacsGateway,
    private readonly jobs: JobRepository,
    private readonly reviews: ReviewService,
    private readonly corrections: CorrectionRepository,
  ) {}

  async searchStudies(query: StudySearchQueryDto): Promise<StudySummaryDto[]> {
    const client = await this.pacs.client(query.endpointId, 'viewer');
    const qido: Record<string, string | number | string[]> = {
      limit: STUDY_LIMIT,
      includefield: ['ModalitiesInStudy', 'StudyDescription', 'AccessionNumber', 'PatientName', 'PatientID', 'StudyDate'],
    };
    if (query.patientId) qido.PatientID = query.patientId;
    if (query.patientName) qido.PatientName = /[*?]/.test(query.patientName) ? query.patientName : `${query.patientName}*`;
    if (query.studyDate) qido.StudyDate = query.studyDate;
    if (query.accessionNumber) qido.AccessionNumber = query.accessionNumber;
    const studies = await this.query(() => client.searchStudies(qido), `QIDO-RS studies on endpoint ${query.endpointId}`);
    const jobsByStudy = groupByStudy((await this.jobs.list(JOB_WINDOW)).filter((j) => j.pacsEndpointId === query.endpointId));
    const summaries = studies.map((study) => toStudySummary(study, jobsByStudy));
    await this.findOurSegsOnPacs(client, summaries);
    await this.addReview(query.endpointId, summaries);
    return summaries;
  }

  /**
   * Review status (AI / reviewed / rejected) and involvement % beside "SEG available": the newest
   * correction's figures when a reader corrected the study, else the newest succeeded job's.
   */
  private async addReview(endpointId: string, summaries: StudySummaryDto[]): Promise<void> {
    const statuses = await this.reviews.studyStatuses(endpointId);
    const corrected = new Map<string, number | null>();
    for (const correction of await this.corrections.list({ pacsEndpointId: endpointId, status: 'delivered' })) {
      if (!corrected.has(correction.studyInstanceUID)) corrected.set(correction.studyInstanceUID, correction.quantification.involvementPercent);
    }
    for (const summary of summaries) {
      const status: StudyReviewStatus | undefined = statuses.get(summary.studyInstanceUID);
      summary.reviewStatus = status ?? (summary.segStatus === 'seg' ? 'ai' : null);
      if (corrected.has(summary.studyInstanceUID)) {
        summary.involvementPercent = corrected.get(summary.studyInstanceUID) ?? null;
        // The job's class split no longer holds after a reader's correction; the list shows the correction's union %.
        summary.classInvolvementPercent = null;
      }
    }
  }

  /**
   * A SEG of ours may be in the PACS without a job here (another server, a lost database): for studies
   * that have SEG series but no status yet, look for our SeriesDescription (`<model> <version>
   * infection+lung[ run n]`, jobs/result-series.ts). Bounded, a few at a time.
   */
  private async findOurSegsOnPacs(client: DicomwebClient, summaries: StudySummaryDto[]): Promise<void> {
    const candidates = summaries.filter((s) => s.segStatus === 'none' && s.modalities.includes('SEG')).slice(0, SEG_LOOKUPS);
    for (let i = 0; i < candidates.length; i += SEG_LOOKUP_PARALLEL) {
      await Promise.all(
        candidates.slice(i, i + SEG_LOOKUP_PARALLEL).map(async (summary) => {
          const series = await this.query(
            () => client.searchSeries(summary.studyInstanceUID, { Modality: 'SEG', includefield: ['SeriesDescription'] }),
            `QIDO-RS SEG series of study ${summary.studyInstanceUID}`,
          );
          if (series.some((s) => OUR_SEG_DESCRIPTION.test(getJsonString(s, 'SeriesDescription') ?? ''))) summary.segStatus = 'seg';
        }),
      );
    }
  }

  async listSeries(query: SeriesQueryDto): Promise<SeriesSummaryDto[]> {
    const client = await this.pacs.client(query.endpointId, 'viewer');
    const series = await this.query(
      () => client.searchSeries(query.study, { includefield: ['SeriesDescription', 'NumberOfSeriesRelatedInstances', 'SeriesNumber', 'Modality'] }),
      `QIDO-RS series of study ${query.study}`,
    );
    return series
      .map((s) => ({
        seriesInstanceUID: getJsonString(s, 'SeriesInstanceUID') ?? '',
        modality: getJsonString(s, 'Modality') ?? '',
        seriesNumber: getJsonString(s, 'SeriesNumber') ?? '',
        seriesDescription: getJsonString(s, 'SeriesDescription') ?? '',
        numberOfInstances: getJsonNumber(s, 'NumberOfSeriesRelatedInstances') ?? 0,
      }))
      .filter((s) => s.seriesInstanceUID !== '')
      .sort((a, b) => Number(a.seriesNumber || 0) - Number(b.seriesNumber || 0));
  }

  /** Runs a PACS query: a PACS 404 stays 404, a timeout is 504, a failing PACS 502; our own errors stay 500. */
  private query<T>(run: () => Promise<T>, what: string): Promise<T> {
    return callPacs(what, run);
  }
}

function groupByStudy(jobs: JobRecord[]): Map<string, JobRecord[]> {
  const map = new Map<string, JobRecord[]>();
  for (const job of jobs) map.set(job.studyInstanceUID, [...(map.get(job.studyInstanceUID) ?? []), job]);
  return map;
}

/**
 * A study's status: `running` when one of our jobs is queued or running; `seg` when one of our jobs
 * succeeded on it (its SEG was stored in this PACS); otherwise `none`. Jobs come newest first.
 */
export function toStudySummary(study: DicomJsonDataset, jobsByStudy: Map<string, JobRecord[]>): StudySummaryDto {
  const uid = getJsonString(study, 'StudyInstanceUID') ?? '';
  const jobs = jobsByStudy.get(uid) ?? [];
  const active = jobs.find((j) => j.status === 'queued' || j.status === 'running');
  const succeeded = jobs.find((j) => j.status === 'succeeded');
  return {
    studyInstanceUID: uid,
    patientId: getJsonString(study, 'PatientID') ?? '',
    patientName: getJsonString(study, 'PatientName') ?? '',
    studyDate: getJsonString(study, 'StudyDate') ?? '',
    accessionNumber: getJsonString(study, 'AccessionNumber') ?? '',
    studyDescription: getJsonString(study, 'StudyDescription') ?? '',
    modalities: getJsonValues(study, 'ModalitiesInStudy').map(String),
    segStatus: active ? 'running' : succeeded ? 'seg' : 'none',
    reviewStatus: null,
    involvementPercent: involvementOf(succeeded?.result),
    classInvolvementPercent: classInvolvementOf(succeeded?.result),
    ...(active ? { jobId: active.id } : succeeded ? { jobId: succeeded.id } : {}),
  };
}

/** involvementPercent of a succeeded job's result (jobs/job-result.ts), or null. */
function involvementOf(result: unknown): number | null {
  const value = (result as { quantification?: { involvementPercent?: unknown } | null } | null)?.quantification?.involvementPercent;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

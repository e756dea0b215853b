import { Injectable, Logger } from '@nestjs/common';
import { DicomwebError, getJsonString } from '@covseg/dicom';
import { JobRecord, JobRepository } from '../../jobs/repositories/job.repository';
import { CorrectionRepository } from '../../review/repositories/correction.repository';
import { ReviewService } from '../../review/services/review.service';
import { WorklistOutcome, WorklistQueryDto, WorklistRowDto } from '../dtos/worklist.dto';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { classInvolvementOf } from './result-figures';

const JOB_WINDOW = 200;
/** Studies looked up on the PACS per request, this many at a time. */
const STUDY_LOOKUPS = 100;
const LOOKUP_PARALLEL = 6;

interface StudyInfo {
  patientId: string;
  studyDate: string;
  accessionNumber: string;
  studyDescription: string;
}

/**
 * The radiologist's worklist: recent jobs with the study's patient ID, date, accession and description
 * (QIDO-RS on each job's PACS, a bounded number of studies, a few at a time), the outcome (new result,
 * reused, failed with its reason), the involvement % and the review status. Patient names are not
 * listed (the study list shows them); nothing here is logged but UIDs.
 */
@Injectable()
export class WorklistService {
  private readonly logger = new Logger(WorklistService.name);

  constructor(
    private readonly jobs: JobRepository,
    private readonly pacs: PacsGateway,
    private readonly reviews: ReviewService,
    private readonly corrections: CorrectionRepository,
  ) {}

  async list(query: WorklistQueryDto): Promise<WorklistRowDto[]> {
    const jobs = (await this.jobs.list(JOB_WINDOW)).filter((job) => inDateRange(job.createdAt, query.from, query.to));
    const studies = await this.lookUpStudies(jobs);
    const statuses = new Map<string, Map<string, 'reviewed' | 'rejected'>>();
    const involvement = new Map<string, number | null>();
    for (const endpointId of new Set(jobs.map((j) => j.pacsEndpointId))) {
      statuses.set(endpointId, (await this.reviews.studyStatuses(endpointId)) as Map<string, 'reviewed' | 'rejected'>);
      for (const c of await this.corrections.list({ pacsEndpointId: endpointId, status: 'delivered' })) {
        const key = `${endpointId}|${c.studyInstanceUID}`;
        if (!involvement.has(key)) involvement.set(key, c.quantification.involvementPercent);
      }
    }
    const rows = jobs.map((job): WorklistRowDto => {
      const info = studies.get(`${job.pacsEndpointId}|${job.studyInstanceUID}`);
      const outcome = outcomeOf(job);
      const key = `${job.pacsEndpointId}|${job.studyInstanceUID}`;
      const hasResult = outcome === 'new' || outcome === 'reused';
      return {
        jobId: job.id,
        pacsEndpointId: job.pacsEndpointId,
        studyInstanceUID: job.studyInstanceUID,
        seriesInstanceUID: job.seriesInstanceUID ?? job.requestedSeriesInstanceUID,
        patientId: info?.patientId ?? '',
        studyDate: info?.studyDate ?? '',
        accessionNumber: info?.accessionNumber ?? '',
        studyDescription: info?.studyDescription ?? '',
        outcome,
        reason: reasonOf(job, outcome),
        involvementPercent: hasResult ? (involvement.has(key) ? involvement.get(key)! : jobInvolvement(job)) : null,
        // A multi-class job's split; null once a reader corrected the study (its figure above is the correction's).
        classInvolvementPercent: hasResult && !involvement.has(key) ? classInvolvementOf(job.result) : null,
        reviewStatus: hasResult ? (statuses.get(job.pacsEndpointId)?.get(job.studyInstanceUID) ?? 'ai') : null,
        createdAt: job.createdAt,
        finishedAt: job.finishedAt,
      };
    });
    return rows.filter((r) => (!query.outcome || r.outcome === query.outcome) && (!query.review || r.reviewStatus === query.review));
  }

  private async lookUpStudies(jobs: JobRecord[]): Promise<Map<string, StudyInfo>> {
    const wanted = [...new Map(jobs.map((j) => [`${j.pacsEndpointId}|${j.studyInstanceUID}`, j])).values()].slice(0, STUDY_LOOKUPS);
    const found = new Map<string, StudyInfo>();
    for (let i = 0; i < wanted.length; i += LOOKUP_PARALLEL) {
      await Promise.all(
        wanted.slice(i, i + LOOKUP_PARALLEL).map(async (job) => {
          try {
            const client = await this.pacs.client(job.pacsEndpointId, 'viewer');
            const [study] = await client.searchStudies({ StudyInstanceUID: job.studyInstanceUID, includefield: ['AccessionNumber', 'PatientID', 'StudyDate', 'StudyDescription'] });
            if (!study) return;
            found.set(`${job.pacsEndpointId}|${job.studyInstanceUID}`, {
              patientId: getJsonString(study, 'PatientID') ?? '',
              studyDate: getJsonString(study, 'StudyDate') ?? '',
              accessionNumber: getJsonString(study, 'AccessionNumber') ?? '',
              studyDescription: getJsonString(study, 'StudyDescription') ?? '',
            });
          } catch (error) {
            // One unreachable PACS or a deleted endpoint must not empty the worklist: its rows show UIDs only.
            if (!(error instanceof DicomwebError) && !(error instanceof Error && error.name === 'NotFoundException')) throw error;
            this.logger.warn(`Worklist: study ${job.studyInstanceUID} on endpoint ${job.pacsEndpointId} not looked up: ${error.message}`);
          }
        }),
      );
    }
    return found;
  }
}

function outcomeOf(job: JobRecord): WorklistOutcome {
  if (job.status !== 'succeeded') return job.status;
  const reused = (job.result as { reused?: string } | null)?.reused;
  return reused && reused !== 'none' ? 'reused' : 'new';
}

function reasonOf(job: JobRecord, outcome: WorklistOutcome): string | null {
  if (outcome === 'failed') return `${job.errorCode ?? 'FAILED'}: ${job.errorMessage ?? ''}`;
  if (outcome === 'reused') return `an earlier SEG of this model was found in the ${(job.result as { reused: string }).reused === 'pacs' ? 'PACS' : 'database'}`;
  return null;
}

function jobInvolvement(job: JobRecord): number | null {
  const value = (job.result as { quantification?: { involvementPercent?: unknown } | null } | null)?.quantification?.involvementPercent;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function inDateRange(createdAt: string, from?: string, to?: string): boolean {
  const day = createdAt.slice(0, 10);
  return (!from || day >= from) && (!to || day <= to);
}

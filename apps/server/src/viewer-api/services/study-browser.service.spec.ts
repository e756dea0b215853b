import { describe, expect, it, vi } from 'vitest';
import { tagOfKeyword, type DicomJsonDataset } from '@covseg/dicom';
import type { JobRecord, JobRepository, JobStatus } from '../../jobs/repositories/job.repository';
import type { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import type { CorrectionRepository } from '../../review/repositories/correction.repository';
import type { ReviewService } from '../../review/services/review.service';
import { StudyBrowserService, toStudySummary } from './study-browser.service';

const STUDY = '1.2.826.0.1.1';

function study(): DicomJsonDataset {
  return {
    [tagOfKeyword('StudyInstanceUID')]: { vr: 'UI', Value: [STUDY] },
    [tagOfKeyword('PatientID')]: { vr: 'LO', Value: ['P-1'] },
    [tagOfKeyword('PatientName')]: { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
    [tagOfKeyword('ModalitiesInStudy')]: { vr: 'CS', Value: ['CT', 'SEG'] },
  } as DicomJsonDataset;
}

/** Jobs newest first, as JobRepository.list returns them. */
function jobs(...statuses: JobStatus[]): Map<string, JobRecord[]> {
  return new Map([[STUDY, statuses.map((status, i) => ({ id: `job-${i}`, status, studyInstanceUID: STUDY }) as JobRecord)]]);
}

describe('the segmentation status of a study in the study list', () => {
  it('is running while one of our jobs on it is queued or running, naming that job', () => {
    expect(toStudySummary(study(), jobs('succeeded', 'running'))).toMatchObject({ segStatus: 'running', jobId: 'job-1' });
    expect(toStudySummary(study(), jobs('queued'))).toMatchObject({ segStatus: 'running', jobId: 'job-0' });
  });

  it('is seg once one of our jobs on it succeeded, and none for failed jobs or a SEG of another tool', () => {
    expect(toStudySummary(study(), jobs('failed', 'succeeded'))).toMatchObject({ segStatus: 'seg', jobId: 'job-1' });
    expect(toStudySummary(study(), jobs('failed', 'cancelled')).segStatus).toBe('none');
    expect(toStudySummary(study(), new Map()).segStatus).toBe('none');
  });

  it("carries a multi-class job's GGO and consolidation % of lung, and null for a binary job's result", () => {
    const withResult = (quantification: Record<string, unknown>) =>
      new Map([[STUDY, [{ id: 'job-0', status: 'succeeded', studyInstanceUID: STUDY, result: { quantification } } as unknown as JobRecord]]]);
    const classes = { ggo: { volumeMl: 40, involvementPercent: 1.25 }, consolidation: { volumeMl: 8, involvementPercent: 0.25 } };
    expect(toStudySummary(study(), withResult({ involvementPercent: 1.5, classes }))).toMatchObject({ involvementPercent: 1.5, classInvolvementPercent: { ggo: 1.25, consolidation: 0.25 } });
    expect(toStudySummary(study(), withResult({ involvementPercent: 1.5 })).classInvolvementPercent).toBeNull();
    expect(toStudySummary(study(), new Map()).classInvolvementPercent).toBeNull();
  });

  it('carries the patient and study attributes the list shows', () => {
    expect(toStudySummary(study(), new Map())).toMatchObject({ studyInstanceUID: STUDY, patientId: 'P-1', patientName: 'DOE^JANE', modalities: ['CT', 'SEG'] });
  });
});

describe('StudyBrowserService.searchStudies', () => {
  function serviceWith(segDescriptions: string[], jobList: JobRecord[] = []) {
    const client = {
      searchStudies: vi.fn(async () => [study()]),
      searchSeries: vi.fn(async () => segDescriptions.map((d) => ({ [tagOfKeyword('SeriesDescription')]: { vr: 'LO', Value: [d] } }) as DicomJsonDataset)),
    };
    const pacs = { client: vi.fn(() => client) } as unknown as PacsGateway;
    const jobs = { list: vi.fn(() => jobList) } as unknown as JobRepository;
    const reviews = { studyStatuses: vi.fn(() => new Map()) } as unknown as ReviewService;
    const corrections = { list: vi.fn(() => []) } as unknown as CorrectionRepository;
    return { service: new StudyBrowserService(pacs, jobs, reviews, corrections), client };
  }

  it('finds our SEG on the PACS by its SeriesDescription when no job here knows about it', async () => {
    const { service } = serviceWith(['covseg-unet 1.0.0 infection+lung']);
    expect((await service.searchStudies({ endpointId: 'e' }))[0]!.segStatus).toBe('seg');
  });

  it('does not count another tool’s SEG as ours', async () => {
    const { service } = serviceWith(['Liver Segmentation']);
    expect((await service.searchStudies({ endpointId: 'e' }))[0]!.segStatus).toBe('none');
  });

  it('sends the search fields as QIDO-RS matching keys, with a trailing wildcard on the name', async () => {
    const { service, client } = serviceWith([]);
    await service.searchStudies({ endpointId: 'e', patientId: 'P-1', patientName: 'DOE', studyDate: '20200101-20201231', accessionNumber: 'A7' });
    expect(client.searchStudies).toHaveBeenCalledWith(expect.objectContaining({ PatientID: 'P-1', PatientName: 'DOE*', StudyDate: '20200101-20201231', AccessionNumber: 'A7' }));
  });
});

import { describe, expect, it } from 'vitest';
import { tagOfKeyword, type DicomJsonDataset } from '@covseg/dicom';
import type { JobRecord, JobStatus } from '../../repositories/job.repository';
import { toStudySummary } from './study-browser.service';

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

  it('carries the patient and study attributes the list shows', () => {
    expect(toStudySummary(study(), new Map())).toMatchObject({ studyInstanceUID: STUDY, patientId: 'P-1', patientName: 'DOE^JANE', modalities: ['CT', 'SEG'] });
  });
});

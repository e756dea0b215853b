import { describe, expect, it } from 'vitest';
import { isBulkRetrieve, whyNotDicomwebPath } from './dicomweb-resource';

const check = (path: string) => whyNotDicomwebPath(path.split('/'));

describe('the DICOMweb resource grammar of the proxy', () => {
  it.each([
    'studies',
    'series',
    'instances',
    'studies/1.2.3',
    'studies/1.2.3/metadata',
    'studies/1.2.3/series',
    'studies/1.2.3/instances',
    'studies/1.2.3/series/4.5',
    'studies/1.2.3/series/4.5/metadata',
    'studies/1.2.3/series/4.5/rendered',
    'studies/1.2.3/series/4.5/instances',
    'studies/1.2.3/series/4.5/instances/6.0.7',
    'studies/1.2.3/series/4.5/instances/6.7/metadata',
    'studies/1.2.3/series/4.5/instances/6.7/frames/1',
    'studies/1.2.3/series/4.5/instances/6.7/frames/1,2,3',
    'studies/1.2.3/series/4.5/instances/6.7/frames/1/rendered',
    'studies/1.2.3/series/4.5/instances/6.7/bulk/7fe00010',
    'studies/1.2.3/series/4.5/instances/6.7/bulkdata/7FE00010',
  ])('passes %s', (path) => expect(check(path)).toBeUndefined());

  it.each([
    ['instances/6e7f3c8a-1b2c3d4e-5f607182-93a4b5c6-d7e8f901/file', 'Orthanc REST: an instance file by Orthanc id'],
    ['studies/6e7f3c8a-1b2c3d4e-5f607182-93a4b5c6-d7e8f901', 'Orthanc REST: a study by Orthanc id'],
    ['series/1.2/archive', 'Orthanc REST: a series archive'],
    ['studies/1.2.3/archive', 'not a DICOMweb resource'],
    ['studies/1.2.3/series/4.5/instances/6.7/file', 'Orthanc REST: the raw file'],
    ['studies/1.2.3/series/4.5/instances/6.7/frames/0', 'frame numbers start at 1'],
    ['studies/1.2.3/series/4.5/instances/6.7/frames/1/raw', 'Orthanc REST below frames'],
    ['studies/01.2/series', 'a UID component with a leading zero (PS3.5 §9.1)'],
    ['studies/1.2.3/series/4.5/frames/1', 'frames belong to an instance'],
    ['studies/1.2.3/metadata/extra', 'nothing after metadata'],
  ])('refuses %s (%s)', (path) => expect(check(path)).toBeTypeOf('string'));
});

describe('isBulkRetrieve', () => {
  it('names study and series retrieves, never their metadata, QIDO or instance resources', () => {
    expect(isBulkRetrieve('studies/1.2.3')).toBe(true);
    expect(isBulkRetrieve('studies/1.2.3/series/4.5')).toBe(true);
    for (const path of ['studies', 'studies/1.2.3/series', 'studies/1.2.3/metadata', 'studies/1.2.3/series/4.5/metadata', 'studies/1.2.3/series/4.5/instances', 'studies/1.2.3/series/4.5/instances/6.7', 'studies/1.2.3/series/4.5/rendered']) {
      expect(isBulkRetrieve(path)).toBe(false);
    }
  });
});

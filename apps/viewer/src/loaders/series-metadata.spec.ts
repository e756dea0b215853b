import { describe, expect, it } from 'vitest';
import { parseSeriesMetadata, SeriesMetadataError } from './series-metadata';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const SEG = '1.2.840.10008.5.1.4.1.1.66.4';

function instance(sop: string, z: number, instanceNumber: number, sopClass = CT) {
  return {
    '00080016': { vr: 'UI', Value: [sopClass] },
    '00080018': { vr: 'UI', Value: [sop] },
    '00200013': { vr: 'IS', Value: [instanceNumber] },
    '00200032': { vr: 'DS', Value: [-100, -100, z] },
    '00200037': { vr: 'DS', Value: [1, 0, 0, 0, 1, 0] },
    '00280010': { vr: 'US', Value: [512] },
    '00280011': { vr: 'US', Value: [512] },
    '00280030': { vr: 'DS', Value: [0.7, 0.6] },
    '00280103': { vr: 'US', Value: [1] },
    '00281052': { vr: 'DS', Value: ['-1024'] },
  };
}

describe('turning WADO-RS series metadata into the stack', () => {
  it('sorts slices along the slice normal, not by InstanceNumber or answer order', () => {
    const slices = parseSeriesMetadata([instance('1.3', 5, 1), instance('1.1', -5, 3), instance('1.2', 0, 2)], '/api/dicomweb/e', '1.9', '1.8');
    expect(slices.map((s) => s.sopInstanceUID)).toEqual(['1.1', '1.2', '1.3']);
    expect(slices.map((s) => s.location)).toEqual([-5, 0, 5]);
  });

  it('reads pixel spacing as row then column, the rescale, and builds the proxied frame URL', () => {
    const [slice] = parseSeriesMetadata([instance('1.1', 0, 1)], '/api/dicomweb/e', '1.9', '1.8');
    expect(slice).toMatchObject({ pixelSpacing: [0.7, 0.6], rescaleSlope: 1, rescaleIntercept: -1024, pixelRepresentation: 1 });
    expect(slice!.frameUrl).toBe('/api/dicomweb/e/studies/1.9/series/1.8/instances/1.1/frames/1');
    // A classic slice has no frame number: overlays and corrections name it by SOP Instance UID alone.
    expect(Object.keys(slice!)).not.toContain('frameNumber');
  });

  it('leaves SEG instances out of the stack and refuses a series without images', () => {
    expect(parseSeriesMetadata([instance('1.1', 0, 1), instance('2.1', 0, 1, SEG)], '/r', '1', '2')).toHaveLength(1);
    expect(() => parseSeriesMetadata([instance('2.1', 0, 1, SEG)], '/r', '1', '2')).toThrow(SeriesMetadataError);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { deviceUidFromDigest, type AiProvenance } from '../provenance/ai-provenance';
import { SegmentCodes } from '../seg/seg-codes';
import { SegWriteError } from '../seg/seg-errors';
import { writeBinarySeg } from '../seg/seg-writer';
import { readMeasurementReportFile } from './measurement-report-reader';
import { writeMeasurementReport } from './measurement-report-writer';
import { SrCodes } from './sr-codes';
import type { MeasurementReportInput } from './sr-types';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const SLICES = 3;
const provenance: AiProvenance = {
  manufacturer: 'covseg',
  manufacturerModelName: 'covseg-unet',
  softwareVersions: ['1.1.0', 'covseg 0.1.0'],
  deviceUID: deviceUidFromDigest('a'.repeat(64)),
  deviceSerialNumber: 'aaaaaaaaaaaaaaaa',
};
const header = {
  PatientName: 'Test^Patient',
  PatientID: 'P-1',
  StudyInstanceUID: '1.2.826.0.1.1',
  SeriesInstanceUID: '1.2.826.0.1.2',
  FrameOfReferenceUID: '1.2.826.0.1.4',
  StudyDate: '20200101',
  Rows: 4,
  Columns: 4,
  PixelSpacing: [0.7, 0.8],
  ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
  SliceThickness: 2.5,
};
const sourceSlices = Array.from({ length: SLICES }, (_, z) => ({ sopInstanceUID: `1.2.826.0.1.3.${z + 10}`, sopClassUID: CT, imagePositionPatient: [-100, -120.5, -50 + 2.5 * z] }));

function input(overrides: Partial<MeasurementReportInput> = {}): MeasurementReportInput {
  return {
    header,
    sourceSlices,
    seg: { seriesInstanceUID: '1.2.826.0.1.20', sopInstanceUID: '1.2.826.0.1.21' },
    algorithm: { name: 'covseg-unet', version: '1.1.0' },
    provenance,
    groups: [
      { trackingIdentifier: 'Infection', segmentNumber: 1, finding: SegmentCodes.lesion, findingSite: SrCodes.lung, volumeMl: 12.5, involvementPercent: 0.877 },
      { trackingIdentifier: 'Infection, right lung', segmentNumber: 1, finding: SegmentCodes.lesion, findingSite: SrCodes.rightLung, volumeMl: 10, involvementPercent: 1.5 },
      { trackingIdentifier: 'Lung', segmentNumber: 2, finding: SegmentCodes.lung, findingSite: SrCodes.lung, volumeMl: 1425.125 },
    ],
    now: new Date('2026-01-02T03:04:05Z'),
    ...overrides,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'covseg-sr-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** dciodvfy prints its findings on stderr, and its exit code does not say whether there were errors. */
function dciodvfy(bytes: Uint8Array, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const run = spawnSync('/usr/bin/dciodvfy', [path], { encoding: 'utf8' });
  if (run.error) throw run.error;
  return `${run.stdout}${run.stderr}`;
}
const errorsOf = (report: string) => report.split('\n').filter((line) => line.startsWith('Error'));

describe('writeMeasurementReport', () => {
  it('writes a Comprehensive 3D SR that dciodvfy accepts without errors', () => {
    const report = dciodvfy(writeMeasurementReport(input()).bytes, 'sr.dcm');
    expect(report).toMatch(/^Comprehensive3DSR$/m);
    expect(errorsOf(report)).toEqual([]);
  });

  it('writes a report that dcmtk dsrdump parses, with the figures, units and the referenced segment', () => {
    const path = join(dir, 'dump.dcm');
    writeFileSync(path, writeMeasurementReport(input()).bytes);
    const run = spawnSync('dsrdump', ['-Ec', path], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Comprehensive 3D SR Document');
    expect(run.stdout).toContain('<CONTAINER:(,,"Imaging Measurement Report")=SEPARATE>');
    expect(run.stdout).toContain('<has obs context UIDREF:(,,"Device Observer UID")="' + provenance.deviceUID + '">');
    expect(run.stdout).toContain('<contains NUM:(,,"Volume")="1425.125" (ml,UCUM,"milliliter")>');
    expect(run.stdout).toContain('<contains NUM:(,,"Percent of lung volume involved")="0.877" (%,UCUM,"percent")>');
    expect(run.stdout).toContain('<contains IMAGE:(,,"Referenced Segment")=(SG image,,2)>');
    // dsrdump checks the content tree against the IOD's relationship constraints and warns on stderr.
    expect(run.stderr).toBe('');
  });

  it('reads back every group with its segment, site, volume and involvement, and the device that made it', () => {
    const written = input({ predecessors: [{ studyInstanceUID: '1.2.826.0.1.1', seriesInstanceUID: '1.2.826.0.1.30', sopInstanceUID: '1.2.826.0.1.31', sopClassUID: '1.2.840.10008.5.1.4.1.1.88.34' }] });
    const report = readMeasurementReportFile(writeMeasurementReport(written).bytes);
    expect(report.deviceObserverUid).toBe(provenance.deviceUID);
    expect(report.contributingDeviceUids).toEqual([provenance.deviceUID]);
    expect([report.algorithmName, report.algorithmVersion]).toEqual(['covseg-unet', '1.1.0']);
    expect(report.sourceSeriesInstanceUIDs).toEqual([header.SeriesInstanceUID]);
    expect(report.predecessorSopInstanceUIDs).toEqual(['1.2.826.0.1.31']);
    expect(report.groups.map((g) => [g.trackingIdentifier, g.segSopInstanceUID, g.segmentNumber, g.findingSite?.CodeValue, g.volumeMl, g.involvementPercent])).toEqual([
      ['Infection', '1.2.826.0.1.21', 1, '39607008', 12.5, 0.877],
      ['Infection, right lung', '1.2.826.0.1.21', 1, '3341006', 10, 1.5],
      ['Lung', '1.2.826.0.1.21', 2, '39607008', 1425.125, undefined],
    ]);
  });

  it('refuses groups it cannot write faithfully', () => {
    const group = input().groups[0];
    expect(() => writeMeasurementReport(input({ groups: [group, group] }))).toThrow(/not unique/);
    expect(() => writeMeasurementReport(input({ groups: [{ ...group, volumeMl: Number.NaN }] }))).toThrow(SegWriteError);
    expect(() => writeMeasurementReport(input({ groups: [{ ...group, involvementPercent: 101 }] }))).toThrow(/0-100/);
    expect(() => writeMeasurementReport(input({ provenance: { ...provenance, deviceUID: 'not-a-uid' } }))).toThrow(/DeviceUID/);
  });
});

describe('IHE AI Results provenance', () => {
  it('derives one Device UID per model digest, a valid 2.25 UID, different for another model', () => {
    const a = deviceUidFromDigest('0123456789abcdef'.repeat(4));
    expect(deviceUidFromDigest('0123456789abcdef'.repeat(4))).toBe(a);
    expect(deviceUidFromDigest('1123456789abcdef'.repeat(4))).not.toBe(a);
    expect(a).toMatch(/^2\.25\.[1-9][0-9]{0,38}$/);
  });

  it('puts the Device UID and the IHE AIR algorithm item on a SEG that dciodvfy still accepts', () => {
    const voxels = SLICES * 16;
    const bytes = writeBinarySeg({
      sourceSlices,
      header,
      segments: [{ label: 'Lung', category: SegmentCodes.anatomicalStructure, type: SegmentCodes.lung, labelmap: new Uint8Array(voxels).fill(1) }],
      algorithm: { name: 'covseg-unet', version: '1.1.0' },
      provenance,
    }).bytes;
    const report = dciodvfy(bytes, 'seg.dcm');
    expect(report).toMatch(/^Segmentation$/m);
    expect(errorsOf(report)).toEqual([]);
    const dump = spawnSync('dcmdump', ['+P', '0018,a001', '+P', '0018,1002', '+P', '0040,a170', join(dir, 'seg.dcm')], { encoding: 'utf8' }).stdout;
    expect(dump).toContain(provenance.deviceUID);
    expect(dump).toContain('Newcode1');
  });
});

import { describe, expect, it } from 'vitest';
import type { CtVolume } from '@covseg/dicom';
import { COLLECT_GARBAGE_FROM_VOXELS, HuHandle, HuReleasedError, collectsGarbage, holdVolume } from './held-volume';

const geometry = (slices: number) => ({ rows: 512, columns: 512, slices }) as CtVolume['geometry'];

describe('HuHandle', () => {
  it('hands out its HU until released, then fails every read with hu-released naming the reader', () => {
    const hu = new Int16Array(8);
    const handle = new HuHandle(hu);
    expect(handle.get('segmentation')).toBe(hu);
    expect(handle.released).toBe(false);
    handle.release();
    handle.release();
    expect(handle.released).toBe(true);
    const error = (() => {
      try {
        handle.get('key images');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(HuReleasedError);
    expect((error as HuReleasedError).code).toBe('hu-released');
    expect((error as Error).message).toMatch(/key images read the volume's HU after they were released/);
  });
});

describe('holdVolume', () => {
  it('moves the HU into a handle and keeps everything else', () => {
    const hu = new Int16Array(4);
    const volume = { hu, geometry: geometry(1), slices: [], studyInstanceUID: '1.2', seriesInstanceUID: '1.3', frameOfReferenceUID: '1.4', header: {} } as unknown as CtVolume;
    const held = holdVolume(volume);
    expect(held.hu.get('test')).toBe(hu);
    expect(held.seriesInstanceUID).toBe('1.3');
    expect(held.geometry).toBe(volume.geometry);
    expect('hu' in held && !(held.hu instanceof Int16Array)).toBe(true);
  });
});

describe('collectsGarbage', () => {
  it('forces collections only from COLLECT_GARBAGE_FROM_VOXELS on (384 slices of 512²)', () => {
    expect(COLLECT_GARBAGE_FROM_VOXELS).toBe(384 * 512 * 512);
    expect(collectsGarbage({ geometry: geometry(383) })).toBe(false);
    expect(collectsGarbage({ geometry: geometry(384) })).toBe(true);
    expect(collectsGarbage({ geometry: geometry(600) })).toBe(true);
  });
});

import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { encodePng } from '@covseg/segmentation';
import type { AppConfig } from '../../core/repositories/config.repository';
import { DicomSliceWorkerRepository } from '../repositories/dicom-slice-worker.repository';
import type { ViewerModelRepository } from '../repositories/viewer-model.repository';
import { UploadRejectedError, UploadTooLargeError, UploadUnreadableError } from '../viewer.errors';
import { detectFormat, SegmentImageService } from './segment-image.service';

/** The model is never needed for refused uploads; a call would fail the test. */
const models = { getModelOrFail: vi.fn(() => {
  throw new Error('the model must not be used for a refused upload');
}) } as unknown as ViewerModelRepository;

const upload = (bytes: Uint8Array) => ({ bytes, originalName: 'slice' });
// The real worker pool (one worker, TypeScript entry under vitest).
const slices = new DicomSliceWorkerRepository({ uploadParseWorkers: 1, uploadParseTimeoutMs: 60_000, uploadParseHeapMb: 128, uploadParseMaxElements: 20_000 } as AppConfig);
afterAll(() => slices.onModuleDestroy());

describe('SegmentImageService', () => {
  it('recognises PNG, JPEG, TIFF, WebP and DICOM Part 10 by their signatures, and nothing else', async () => {
    const dicom = new Uint8Array(200);
    dicom.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(detectFormat(dicom)).toBe('dicom');
    expect(detectFormat(new Uint8Array(await encodePng(new Uint8Array(4), 2, 2, 1)))).toBe('png');
    expect(detectFormat(Uint8Array.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBe('tiff');
    expect(detectFormat(new TextEncoder().encode('RIFF\x10\0\0\0WEBPVP8L'))).toBe('webp');
    expect(detectFormat(new TextEncoder().encode('just some text, not an image'))).toBeUndefined();
  });

  it('refuses a missing or empty file with 415 before touching the model', async () => {
    const service = new SegmentImageService(models, slices);
    await expect(service.segment(undefined)).rejects.toBeInstanceOf(UploadRejectedError);
    await expect(service.segment(upload(new Uint8Array(0)))).rejects.toBeInstanceOf(UploadRejectedError);
    await expect(service.segment(upload(new TextEncoder().encode('hello')))).rejects.toThrow(/not PNG, JPEG, TIFF, WebP or DICOM/);
  });

  it('refuses an oversized image from its header with 413 and a corrupt one with 422', async () => {
    const model = { contract: { inputSize: 8, inputChannels: 1, threshold: 0.5 }, name: 'm', version: '1', trained: false, predict: vi.fn() };
    const service = new SegmentImageService({ getModelOrFail: () => model } as unknown as ViewerModelRepository, slices);
    const huge = new Uint8Array(await encodePng(new Uint8Array(4), 2, 2, 1));
    // Rewrite the IHDR width to 5000 px (and its CRC, as a crafted file would): the header check refuses it without decoding.
    const view = new DataView(huge.buffer, huge.byteOffset);
    view.setUint32(16, 5000);
    view.setUint32(29, crc32(huge.subarray(12, 29)));
    await expect(service.segment(upload(huge))).rejects.toBeInstanceOf(UploadTooLargeError);
    const truncated = new Uint8Array(await encodePng(new Uint8Array(64 * 64).fill(128), 64, 64, 1)).slice(0, 60);
    await expect(service.segment(upload(truncated))).rejects.toBeInstanceOf(UploadUnreadableError);
    expect(model.predict).not.toHaveBeenCalled();
  });

  it('refuses a DICOM file that is not a readable single-frame slice with 422', async () => {
    const model = { contract: { windowCenter: -600, windowWidth: 1500, frameMargin: 0.05, minFrameMm: 100, minLungAreaMm2: 100 }, name: 'm', version: '1', trained: false };
    const service = new SegmentImageService({ getModelOrFail: () => model } as unknown as ViewerModelRepository, slices);
    const dicom = new Uint8Array(300);
    dicom.set([0x44, 0x49, 0x43, 0x4d], 128);
    await expect(service.segment(upload(dicom))).rejects.toBeInstanceOf(UploadUnreadableError);
  });
});

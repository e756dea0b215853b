import { describe, expect, it } from 'vitest';
import {
  DicomParseError,
  DicomwebHttpError,
  DicomwebNetworkError,
  DicomwebTimeoutError,
  SeriesRejectedError,
} from '@covseg/dicom';
import { ImageDecodeError, ImageTooLargeError, ModelLoadError } from '@covseg/segmentation';
import { statusOf } from './error.filter';

describe('statusOf', () => {
  it.each([
    ['a series the pipeline refuses', new SeriesRejectedError('Building a CT volume failed: Modality MR', 'not-ct'), 422],
    ['a malformed instance', new DicomParseError('Parsing SOP Instance 1.2 failed: truncated', '1.2'), 422],
    ['a PACS 404', new DicomwebHttpError('WADO-RS failed with status 404: GET http://pacs/studies/1', 404), 404],
    ['a PACS 500', new DicomwebHttpError('QIDO-RS failed with status 500: GET http://pacs/studies', 500), 502],
    ['a refused connection', new DicomwebNetworkError('QIDO-RS failed without a response (ECONNREFUSED)'), 502],
    ['a PACS timeout', new DicomwebTimeoutError('QIDO-RS timed out after 1000 ms', 1000), 504],
    ['an image that does not decode', new ImageDecodeError('Decoding the image failed: not a PNG'), 400],
    ['an image that is too large', new ImageTooLargeError('Decoding the image failed: 20000 x 20000 is too large', 20000, 20000), 413],
    ['a model that cannot load', new ModelLoadError('Loading model failed: /m.onnx', '/m.onnx'), 500],
    ['an unknown error', new Error('boom'), 500],
  ])('maps %s to %i', (_what, error, status) => {
    expect(statusOf(error)).toBe(status);
  });
});

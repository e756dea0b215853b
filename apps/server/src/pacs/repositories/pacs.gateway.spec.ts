import { describe, expect, it } from 'vitest';
import { DicomwebHttpError, DicomwebNetworkError, DicomwebTimeoutError } from '@covseg/dicom';
import { PacsGateway } from './pacs.gateway';

const refused = () => new DicomwebNetworkError('STOW-RS failed without a response (ECONNREFUSED): POST http://pacs/studies', { cause: Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }) });
const reset = () => new DicomwebNetworkError('STOW-RS failed without a response (ECONNRESET): POST http://pacs/studies', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });

describe('PacsGateway.mayResend (the STOW-RS policy)', () => {
  it('never re-sends a STOW answered 500: the PACS may have stored it', () => {
    expect(PacsGateway.mayResend(new DicomwebHttpError('STOW-RS failed with status 500', 500))).toBe(false);
  });

  it('never re-sends a STOW that timed out or lost its connection mid-request', () => {
    expect(PacsGateway.mayResend(new DicomwebTimeoutError('STOW-RS timed out after 1000 ms', 1000))).toBe(false);
    expect(PacsGateway.mayResend(reset())).toBe(false);
  });

  it('re-sends when the failure proves nothing was processed: no connection, 429 or 503', () => {
    expect(PacsGateway.mayResend(refused())).toBe(true);
    expect(PacsGateway.mayResend(new DicomwebHttpError('STOW-RS failed with status 503', 503))).toBe(true);
    expect(PacsGateway.mayResend(new DicomwebHttpError('STOW-RS failed with status 429', 429))).toBe(true);
  });

  it('does not re-send a refusal that would only be refused again (400, 409)', () => {
    expect(PacsGateway.mayResend(new DicomwebHttpError('STOW-RS failed with status 400', 400))).toBe(false);
    expect(PacsGateway.mayResend(new DicomwebHttpError('STOW-RS failed with status 409', 409))).toBe(false);
  });
});

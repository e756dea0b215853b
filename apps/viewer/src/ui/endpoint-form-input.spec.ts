import { describe, expect, it } from 'vitest';
import type { PacsEndpoint } from '../api/types';
import { checkEndpointForm, secretNotice, type EndpointFormValues } from './endpoint-form-input';

const blank: EndpointFormValues = {
  name: 'PACS',
  baseUrl: '',
  authType: 'none',
  username: '',
  secret: '',
  timeoutMs: '30000',
  keyImages: false,
  dicomAeTitle: '',
  dicomHost: '',
  dicomPort: '',
  resultTransport: 'stow',
};
const web = { ...blank, baseUrl: 'http://127.0.0.1:8042/dicom-web' };
const dimse = { dicomAeTitle: 'ORTHANC', dicomHost: '127.0.0.1', dicomPort: '4242' };

const stored: PacsEndpoint = {
  id: 'e1',
  name: 'PACS',
  baseUrl: 'http://127.0.0.1:8042/dicom-web',
  authType: 'bearer',
  hasSecret: true,
  timeoutMs: 30_000,
  keyImages: true,
  enabled: true,
  dicomAeTitle: 'ORTHANC',
  dicomHost: '127.0.0.1',
  dicomPort: 4242,
  resultTransport: 'stow',
  createdAt: 't',
  updatedAt: 't',
};

function problemsOf(values: EndpointFormValues, current?: PacsEndpoint): string[] {
  const check = checkEndpointForm(values, current);
  return check.ok ? [] : check.problems;
}

describe('checkEndpointForm', () => {
  it('builds the POST body of a DICOMweb + DIMSE endpoint with key images, leaving out what is empty', () => {
    expect(checkEndpointForm({ ...web, ...dimse, dicomAeTitle: ' ORTHANC ', keyImages: true, resultTransport: 'c-store' })).toEqual({
      ok: true,
      input: { name: 'PACS', baseUrl: web.baseUrl, authType: 'none', timeoutMs: 30_000, keyImages: true, dicomAeTitle: 'ORTHANC', dicomHost: '127.0.0.1', dicomPort: 4242, resultTransport: 'c-store' },
    });
  });

  it('accepts a DIMSE-only endpoint that gets its results by C-STORE', () => {
    const check = checkEndpointForm({ ...blank, ...dimse, resultTransport: 'c-store' });
    expect(check.ok && check.input).toEqual({ name: 'PACS', authType: 'none', timeoutMs: 30_000, keyImages: false, ...dimse, dicomPort: 4242, resultTransport: 'c-store' });
  });

  it('says that an endpoint needs DICOMweb or DIMSE when it has neither', () => {
    expect(problemsOf(blank)).toContain('Give a DICOMweb base URL, a DICOM AE title (DIMSE), or both');
  });

  it.each([
    ['a backslash', 'BAD\\AE'],
    ['17 characters', 'A'.repeat(17)],
    ['a non-ASCII character', 'ORTHANCÉ'],
    ['a control character', 'OR\tTHANC'],
  ])('refuses an AE title with %s', (_what, dicomAeTitle) => {
    expect(problemsOf({ ...web, ...dimse, dicomAeTitle })).toEqual(['DICOM AE title must be 1 to 16 printable ASCII characters without a backslash']);
  });

  it('accepts a 16-character AE title with spaces and punctuation', () => {
    expect(problemsOf({ ...web, ...dimse, dicomAeTitle: 'MY PACS-1 (A.B)_' })).toEqual([]);
  });

  it.each(['0', '65536', '-1', '104.5', 'abc'])('refuses DICOM port %s', (dicomPort) => {
    expect(problemsOf({ ...web, ...dimse, dicomPort })).toEqual(['DICOM port must be a whole number from 1 to 65535']);
  });

  it.each(['pacs/evil', 'pacs host', 'pacs@x'])('refuses DICOM host %s', (dicomHost) => {
    expect(problemsOf({ ...web, ...dimse, dicomHost })).toEqual(['DICOM host must be a host name or an IP address']);
  });

  it('needs host and port together, and an AE title with them', () => {
    expect(problemsOf({ ...web, dicomAeTitle: 'ORTHANC', dicomHost: '127.0.0.1' })).toEqual(['DICOM host and port go together']);
    expect(problemsOf({ ...web, dicomHost: '127.0.0.1', dicomPort: '104' })).toEqual(["C-ECHO and C-STORE need the PACS's DICOM AE title with its host and port"]);
    // An AE title alone is the allow-list entry of a PACS that pushes to us.
    expect(problemsOf({ ...web, dicomAeTitle: 'PUSHER' })).toEqual([]);
  });

  it('matches the result transport to what is configured', () => {
    expect(problemsOf({ ...blank, ...dimse })).toEqual(['Sending results by STOW-RS needs a DICOMweb base URL; choose C-STORE for a DIMSE-only PACS']);
    expect(problemsOf({ ...web, dicomAeTitle: 'ORTHANC', resultTransport: 'c-store' })).toEqual(['Sending results by C-STORE needs the DICOM AE title, host and port']);
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(problemsOf({ ...web, baseUrl: 'file:///etc/passwd' })).toEqual(['DICOMweb base URL must be an http:// or https:// URL']);
    expect(problemsOf({ ...web, baseUrl: 'pacs.example/dicom-web' })).toEqual(['DICOMweb base URL must be an http:// or https:// URL']);
  });

  it('checks the credentials against the auth type', () => {
    expect(problemsOf({ ...web, authType: 'basic', username: 'reader' })).toEqual(['Basic auth needs a username and a password']);
    expect(problemsOf({ ...web, authType: 'basic', username: 're:ader', secret: 'pw' })).toEqual(['Username must not contain a colon or control characters']);
    expect(problemsOf({ ...web, authType: 'bearer' })).toEqual(['Bearer auth needs a token']);
    expect(problemsOf({ ...web, secret: 'pw' })).toEqual(['A password or token needs basic or bearer auth']);
    expect(problemsOf({ ...web, timeoutMs: '99' })).toEqual(['Timeout must be a whole number of ms from 100 to 600000']);
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ ...blank, name: ' ', dicomAeTitle: 'BAD\\AE', dicomHost: '127.0.0.1', dicomPort: '70000' })).toHaveLength(4);
  });

  describe('when editing', () => {
    const editValues = { ...web, authType: 'bearer', keyImages: true, ...dimse };

    it('clears emptied DIMSE fields with null and leaves the secret out, which keeps it', () => {
      const check = checkEndpointForm({ ...editValues, dicomAeTitle: '', dicomHost: '', dicomPort: '' }, stored);
      expect(check).toEqual({
        ok: true,
        input: { name: 'PACS', baseUrl: web.baseUrl, authType: 'bearer', timeoutMs: 30_000, keyImages: true, dicomAeTitle: null, dicomHost: null, dicomPort: null, resultTransport: 'stow' },
      });
    });

    it('accepts bearer auth without a new token when one is stored, but not when none is', () => {
      expect(problemsOf(editValues, stored)).toEqual([]);
      expect(problemsOf(editValues, { ...stored, hasSecret: false })).toEqual(['Bearer auth needs a token']);
    });

    it('asks for the new secret when switching between bearer and basic, as the server does', () => {
      expect(problemsOf({ ...editValues, authType: 'basic', username: 'u' }, stored)).toEqual(['Switching to basic auth needs the password (the stored token is not a password)']);
      expect(problemsOf({ ...editValues, authType: 'bearer' }, { ...stored, authType: 'basic', username: 'u' })).toEqual(['Switching to bearer auth needs the token (the stored password is not a token)']);
      const check = checkEndpointForm({ ...editValues, authType: 'basic', username: 'u', secret: 'pw' }, stored);
      expect(check.ok && [check.input.authType, check.input.username, check.input.secret]).toEqual(['basic', 'u', 'pw']);
      // To none: the secret is dropped by the server, nothing to ask.
      expect(problemsOf({ ...editValues, authType: 'none' }, stored)).toEqual([]);
    });

    it('tells what saving would do to a stored secret', () => {
      expect(secretNotice('bearer', stored)).toBeUndefined();
      expect(secretNotice('none', stored)).toBe('Saving with auth none deletes the stored password / token.');
      expect(secretNotice('basic', stored)).toBe('Saving with basic auth needs the new password: the stored token is not kept.');
      expect(secretNotice('none', { ...stored, hasSecret: false })).toBeUndefined();
      expect(secretNotice('none', undefined)).toBeUndefined();
    });

    it('sends a new secret when one is typed', () => {
      const check = checkEndpointForm({ ...editValues, secret: 'new-token' }, stored);
      expect(check.ok && check.input.secret).toBe('new-token');
    });

    it('clears a stored base URL with null, but sends nothing for a DIMSE-only endpoint that never had one', () => {
      const toDimse = checkEndpointForm({ ...editValues, baseUrl: '', resultTransport: 'c-store' }, stored);
      expect(toDimse.ok && toDimse.input.baseUrl).toBeNull();
      const dimseOnly = checkEndpointForm({ ...editValues, baseUrl: '', resultTransport: 'c-store' }, { ...stored, baseUrl: null });
      expect(dimseOnly.ok && 'baseUrl' in dimseOnly.input).toBe(false);
    });
  });
});

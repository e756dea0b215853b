import { AUTH_TYPES, RESULT_TRANSPORTS, type AuthType, type PacsEndpoint, type PacsEndpointInput, type ResultTransport } from '../api/types';

/** The admin form's fields as the browser holds them: text as typed, the checkbox as a boolean. */
export interface EndpointFormValues {
  name: string;
  baseUrl: string;
  authType: string;
  username: string;
  secret: string;
  timeoutMs: string;
  keyImages: boolean;
  dicomAeTitle: string;
  dicomHost: string;
  dicomPort: string;
  resultTransport: string;
}

/**
 * What saving would do to a stored secret that the admin might not expect, shown beside the auth choice while
 * editing: undefined when nothing is lost.
 */
export function secretNotice(authType: string, current?: PacsEndpoint): string | undefined {
  if (!current?.hasSecret || authType === current.authType) return undefined;
  if (authType === 'none') return 'Saving with auth none deletes the stored password / token.';
  return `Saving with ${authType} auth needs the new ${authType === 'basic' ? 'password' : 'token'}: the stored ${current.authType === 'basic' ? 'password' : 'token'} is not kept.`;
}

export type EndpointFormCheck = { ok: true; input: PacsEndpointInput } | { ok: false; problems: string[] };

// The server's rules (apps/server/src/pacs/dtos/pacs-endpoint.dto.ts and PacsEndpointService), checked here
// first so that the admin sees every problem at once and nothing is sent; the server checks again and
// its own 400/409 message is shown as well (the base URL policy, unique names and AE titles live there only).
/** PS3.5 6.2 AE: 1-16 characters of the default repertoire without backslash or control characters. */
const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;
const HOST = /^[A-Za-z0-9.:-]{1,253}$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;

/**
 * Checks the admin form and builds the request body: the POST body when adding (`current` undefined), the
 * PATCH body when editing `current`. When editing, an emptied base URL or DIMSE field is sent as null, which
 * clears it; an empty secret is left out, which keeps the stored one (the secret is write-only).
 */
export function checkEndpointForm(values: EndpointFormValues, current?: PacsEndpoint): EndpointFormCheck {
  const problems: string[] = [];
  const text = (key: Exclude<keyof EndpointFormValues, 'keyImages' | 'secret'>) => values[key].trim();
  const name = text('name');
  const baseUrl = text('baseUrl');
  const username = text('username');
  const secret = values.secret.trim();
  const aeTitle = text('dicomAeTitle');
  const host = text('dicomHost');
  const port = text('dicomPort');
  const authType = text('authType') as AuthType;
  const transport = text('resultTransport') as ResultTransport;

  if (!name) problems.push('Name is required');
  else if (name.length > 100) problems.push('Name must be at most 100 characters');
  if (baseUrl && !isHttpUrl(baseUrl)) problems.push('DICOMweb base URL must be an http:// or https:// URL');
  if (!AUTH_TYPES.includes(authType)) problems.push(`Auth must be one of ${AUTH_TYPES.join(', ')}`);
  if (CONTROL_CHARACTERS.test(username) || username.includes(':')) problems.push('Username must not contain a colon or control characters');
  if (CONTROL_CHARACTERS.test(secret)) problems.push('Password / token must not contain control characters');
  if (secret.length > 4000) problems.push('Password / token must be at most 4000 characters');
  // Editing keeps a stored secret unless the auth type becomes none (the server then forgets it), or changes
  // between basic and bearer: a stored password is not a token, so the server asks for the new secret.
  const switched = current !== undefined && current.authType !== 'none' && authType !== 'none' && authType !== current.authType;
  const hasSecret = secret !== '' || (!switched && (current?.hasSecret ?? false));
  if (authType === 'basic' && (!username || !hasSecret)) problems.push(switched && username ? 'Switching to basic auth needs the password (the stored token is not a password)' : 'Basic auth needs a username and a password');
  if (authType === 'bearer' && !hasSecret) problems.push(switched ? 'Switching to bearer auth needs the token (the stored password is not a token)' : 'Bearer auth needs a token');
  if (authType === 'none' && secret) problems.push('A password or token needs basic or bearer auth');
  const timeoutMs = wholeNumber(text('timeoutMs'));
  if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > 600_000) problems.push('Timeout must be a whole number of ms from 100 to 600000');

  if (aeTitle && !AE_TITLE.test(aeTitle)) problems.push('DICOM AE title must be 1 to 16 printable ASCII characters without a backslash');
  if (host && !HOST.test(host)) problems.push('DICOM host must be a host name or an IP address');
  const dicomPort = port ? wholeNumber(port) : undefined;
  if (port && (dicomPort === undefined || dicomPort < 1 || dicomPort > 65535)) problems.push('DICOM port must be a whole number from 1 to 65535');
  if (Boolean(host) !== Boolean(port)) problems.push('DICOM host and port go together');
  else if (host && !aeTitle) problems.push("C-ECHO and C-STORE need the PACS's DICOM AE title with its host and port");
  if (!baseUrl && !aeTitle) problems.push('Give a DICOMweb base URL, a DICOM AE title (DIMSE), or both');
  if (!RESULT_TRANSPORTS.includes(transport)) problems.push(`Results must go by ${RESULT_TRANSPORTS.join(' or ')}`);
  else if (transport === 'c-store' && !(aeTitle && host && port)) problems.push('Sending results by C-STORE needs the DICOM AE title, host and port');
  else if (transport === 'stow' && !baseUrl) problems.push('Sending results by STOW-RS needs a DICOMweb base URL; choose C-STORE for a DIMSE-only PACS');
  if (problems.length > 0) return { ok: false, problems };

  // Adding: an empty optional field is left out. Editing: it is sent as null, which clears it.
  const empty = current ? null : undefined;
  const input: PacsEndpointInput = {
    name,
    // Only an edit that empties a stored base URL sends null: a DIMSE-only endpoint's edit leaves it out.
    baseUrl: baseUrl || (current?.baseUrl ? null : undefined),
    authType,
    timeoutMs: timeoutMs!,
    keyImages: values.keyImages,
    dicomAeTitle: aeTitle || empty,
    dicomHost: host || empty,
    dicomPort: dicomPort ?? empty,
    resultTransport: transport,
  };
  if (authType === 'basic') input.username = username;
  if (secret) input.secret = secret;
  for (const key of Object.keys(input) as Array<keyof PacsEndpointInput>) if (input[key] === undefined) delete input[key];
  return { ok: true, input };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && value.length <= 2000;
  } catch {
    return false;
  }
}

function wholeNumber(value: string): number | undefined {
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

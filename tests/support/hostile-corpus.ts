import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withLength, withVr } from '../fixtures/bad-input/dicom-bytes';
import { baseCtSlice, TAGS, us, withValue, type Tag } from './dicom-edit';
import { manyEmptyElementsDicom } from './hostile-dicom';

/**
 * The hostile-input corpus of issue #10, generated here from one committed seed (the 64 x 64 CT slice
 * of tests/fixtures/bad-input) plus that folder's 48 committed files. Each case is one request; the
 * test sends it to the server process and counts the answer by status class.
 */
export interface HostileCase {
  category: 'upload' | 'json' | 'proxy';
  name: string;
  /** Path below the server, method and body; `auth: false` sends no token. */
  path: string;
  method: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  auth?: boolean;
}

const corpusDir = resolve(__dirname, '../fixtures/bad-input');

/** Deterministic pseudo-random numbers (a 32-bit LCG), so the corpus is the same on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
}

function form(bytes: Uint8Array | string, name: string): FormData {
  const data = new FormData();
  data.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), name);
  return data;
}

/** Undefined-length sequences nested `depth` deep, spliced in before PixelData (private tag 7F01,1000). */
function nestedSequences(base: Uint8Array, depth: number): Uint8Array {
  const open = [0x01, 0x7f, 0x00, 0x10, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff];
  const close = [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];
  const nested = new Uint8Array([...Array.from({ length: depth }, () => open).flat(), ...Array.from({ length: depth }, () => close).flat()]);
  const at = findPixelData(base);
  const out = new Uint8Array(base.length + nested.length);
  out.set(base.subarray(0, at));
  out.set(nested, at);
  out.set(base.subarray(at), at + nested.length);
  return out;
}

function findPixelData(bytes: Uint8Array): number {
  for (let i = bytes.length - 12; i > 132; i--) if (bytes[i] === 0xe0 && bytes[i + 1] === 0x7f && bytes[i + 2] === 0x10 && bytes[i + 3] === 0x00) return i;
  throw new Error('no PixelData');
}

function uploadCases(): HostileCase[] {
  const base = baseCtSlice();
  const cases: HostileCase[] = [];
  const add = (name: string, bytes: Uint8Array | string, file = 'slice.dcm') => cases.push({ category: 'upload', name, path: '/api/segment-image', method: 'POST', body: form(bytes, file) });
  const edits: Array<[string, Tag, Array<string | Uint8Array | null>]> = [
    ['PixelSpacing', TAGS.PixelSpacing, ['1e-300\\1e-300', '0\\0', '-1\\-1', 'NaN\\NaN', 'Infinity\\1', 'abc\\def', '1e300\\1e300', '0.01\\0.01', '11\\11', '0.7', '0.7\\0.7\\0.7', '', null, '0x10\\0x10']],
    ['RescaleSlope', TAGS.RescaleSlope, ['0', 'NaN', 'Infinity', '-Infinity', 'abc', '1e300', '-0', '1e-9', null, '', '1\\2']],
    ['RescaleIntercept', TAGS.RescaleIntercept, ['NaN', '1e300', '-1e300', 'x', null, '']],
    ['Modality', TAGS.Modality, [null, '', 'MR', 'SEG', 'ct', 'CT\\MR', 'C T']],
    ['SOPClassUID', TAGS.SOPClassUID, ['1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.88.33', '1.2.840.10008.5.1.4.1.1.481.3', '1.2.840.10008.5.1.4.1.1.4', '', '01.2', 'abc']],
    ['Rows', TAGS.Rows, [us(0), us(1), us(65535), us(63), us(128)]],
    ['Columns', TAGS.Columns, [us(0), us(65535), us(65)]],
    ['BitsAllocated', TAGS.BitsAllocated, [us(0), us(1), us(7), us(64), us(32)]],
    ['SamplesPerPixel', TAGS.SamplesPerPixel, [us(0), us(3), us(65535)]],
    ['PhotometricInterpretation', TAGS.PhotometricInterpretation, ['PALETTE COLOR', 'RGB', 'YBR_FULL', '', 'MONOCHROME3']],
  ];
  for (const [keyword, tag, values] of edits) {
    for (const value of values) add(`${keyword} ${value === null ? 'removed' : typeof value === 'string' ? JSON.stringify(value) : `US ${new Uint16Array(value.buffer)[0]}`}`, withValue(base, tag, value));
  }
  for (const cut of [133, 140, 200, 400, 800, 1500, 3000, 5000, 8000, base.length - 1000, base.length - 2, base.length - 1]) add(`truncated at byte ${cut}`, base.subarray(0, cut));
  const random = lcg(10);
  for (let i = 0; i < 20; i++) {
    const bytes = base.slice();
    for (let j = 0; j < 1 + (i % 5); j++) bytes[132 + (random() % (bytes.length - 132))] = random() & 0xff;
    add(`byte flips #${i}`, bytes);
  }
  for (const [tag, vr] of [[TAGS.Rows, 'XX'], [TAGS.PixelSpacing, 'SQ'], [TAGS.Modality, 'UN'], [TAGS.RescaleSlope, 'OB'], [TAGS.SOPClassUID, 'FD']] as const) add(`VR of ${tag} as ${vr}`, withVr(base, tag[0], tag[1], vr));
  for (const [tag, length] of [[TAGS.PixelSpacing, 0xffff], [TAGS.Modality, 1], [TAGS.Rows, 0], [TAGS.SOPClassUID, 0x7fff]] as const) add(`length of ${tag} as ${length}`, withLength(base, tag[0], tag[1], length));
  add('PixelData length 0xFFFFFFF0', withLength(base, 0x7fe0, 0x0010, 0xfffffff0));
  add('PixelData undefined length on native data', withLength(base, 0x7fe0, 0x0010, 0xffffffff));
  add('25,000 empty private elements (over the element limit)', manyEmptyElementsDicom(25_000));
  add('10,000 empty private elements (under the limit)', manyEmptyElementsDicom(10_000));
  add('sequences nested 17 deep', nestedSequences(base, 17));
  add('sequences nested 200 deep', nestedSequences(base, 200));
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  const others: Array<[string, Uint8Array | string, string]> = [
    ['plain text', 'hello, this is not an image', 'a.txt'],
    ['HTML with a script', '<html><script>alert(1)</script></html>', 'a.html'],
    ['JSON', '{"PixelSpacing":[1e-300]}', 'a.json'],
    ['PNG signature only', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'a.png'],
    ['JPEG SOI only', new Uint8Array([0xff, 0xd8, 0xff]), 'a.jpg'],
    ['GIF', 'GIF89a\x01\x00\x01\x00\x00\x00\x00', 'a.gif'],
    ['PDF', '%PDF-1.7\n%\xe2\xe3\n', 'a.pdf'],
    ['ZIP', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]), 'a.zip'],
    ['DICM at byte 0', 'DICM' + 'x'.repeat(200), 'a.dcm'],
    ['preamble and DICM only', preamble, 'a.dcm'],
    ['the slice without its preamble', base.subarray(128), 'a.dcm'],
    ['a file name with a path and NUL', base, '../../etc/passwd\u0000.dcm'],
  ];
  for (const [name, bytes, file] of others) add(name, bytes, file);
  for (const entry of JSON.parse(readFileSync(join(corpusDir, 'manifest.json'), 'utf8')) as Array<{ file: string; description: string }>) {
    add(`committed ${entry.file}: ${entry.description}`, new Uint8Array(readFileSync(join(corpusDir, 'files', entry.file))), entry.file);
  }
  cases.push({ category: 'upload', name: 'no file field', path: '/api/segment-image', method: 'POST', body: new FormData() });
  cases.push({ category: 'upload', name: 'two files', path: '/api/segment-image', method: 'POST', body: (() => { const f = form(base, 'a.dcm'); f.append('file', new Blob([new Uint8Array(base)]), 'b.dcm'); return f; })() });
  cases.push({ category: 'upload', name: 'a JSON body instead of multipart', path: '/api/segment-image', method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  cases.push({ category: 'upload', name: 'a broken multipart body', path: '/api/segment-image', method: 'POST', body: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc', headers: { 'content-type': 'multipart/form-data; boundary=x' } });
  cases.push({ category: 'upload', name: 'the base slice without a token', path: '/api/segment-image', method: 'POST', body: form(base, 'a.dcm'), auth: false });
  return cases;
}

function jsonCases(endpointId: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const json = (name: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}, auth = true) =>
    cases.push({ category: 'json', name, method, path, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers }, auth });
  const job = (name: string, body: unknown) => json(`POST /api/jobs ${name}`, 'POST', '/api/jobs', body);
  job('{}', {});
  job('null', 'null');
  job('an array', '[]');
  job('a string', '"study"');
  job('a number', '42');
  for (const uid of ['01.2', '1..2', '.1', '1.', '1.2.a', '1'.repeat(65), '١.٢', '1.2\u0000', '1.2 ', ' 1.2', '1.2\n3']) job(`studyInstanceUID ${JSON.stringify(uid)}`, { pacsEndpointId: endpointId, studyInstanceUID: uid });
  for (const value of [12, null, [], {}, true, ['1.2']]) job(`studyInstanceUID ${JSON.stringify(value)}`, { pacsEndpointId: endpointId, studyInstanceUID: value });
  job('pacsEndpointId "../.."', { pacsEndpointId: '../..', studyInstanceUID: '1.2' });
  job('an unknown endpoint', { pacsEndpointId: '00000000-0000-4000-8000-000000000000', studyInstanceUID: '1.2' });
  job('force "yes"', { pacsEndpointId: endpointId, studyInstanceUID: '1.2', force: 'yes' });
  job('an extra field', { pacsEndpointId: endpointId, studyInstanceUID: '1.2', admin: true });
  job('__proto__ pollution', `{"pacsEndpointId":"${endpointId}","studyInstanceUID":"1.2","__proto__":{"admin":true}}`);
  job('constructor pollution', { pacsEndpointId: endpointId, studyInstanceUID: '1.2', constructor: { prototype: { admin: true } } });
  job('45,000 nested arrays', '['.repeat(45_000) + ']'.repeat(45_000));
  job('65 nested objects', '{"a":'.repeat(65) + '1' + '}'.repeat(65));
  job('a 2 MB body', { studyInstanceUID: 'x'.repeat(2_000_000) });
  job('malformed JSON', '{"pacsEndpointId":');
  job('a BOM before the JSON', '\ufeff{}');
  job('duplicate keys', `{"studyInstanceUID":"1.2","studyInstanceUID":{"$gt":""},"pacsEndpointId":"${endpointId}"}`);
  json('POST /api/jobs as text/plain', 'POST', '/api/jobs', '{}', { 'content-type': 'text/plain' });
  json('POST /api/jobs with charset utf-32', 'POST', '/api/jobs', '{}', { 'content-type': 'application/json; charset=utf-32' });
  json('POST /api/jobs with a 200 KB body and no token', 'POST', '/api/jobs', { x: 'y'.repeat(200_000) }, {}, false);
  json('POST /api/jobs with a 2 MB body and no token', 'POST', '/api/jobs', { x: 'y'.repeat(2_000_000) }, {}, false);
  const endpoint = (name: string, body: unknown) => json(`POST /api/pacs-endpoints ${name}`, 'POST', '/api/pacs-endpoints', body);
  for (const baseUrl of ['javascript:alert(1)', 'file:///etc/passwd', 'http://', 'http://[::1', 'gopher://x', 'http://user:pw@example.org/', 'x'.repeat(3000)]) endpoint(`baseUrl ${baseUrl.slice(0, 30)}`, { name: `n-${baseUrl.length}`, baseUrl });
  endpoint('an empty name', { name: '', baseUrl: 'http://127.0.0.1:1/dicom-web' });
  endpoint('a 10k name', { name: 'n'.repeat(10_000), baseUrl: 'http://127.0.0.1:1/dicom-web' });
  endpoint('authType digest', { name: 'digest', baseUrl: 'http://127.0.0.1:1/dicom-web', authType: 'digest' });
  endpoint('a bearer secret with CR/LF', { name: 'crlf', baseUrl: 'http://127.0.0.1:1/dicom-web', authType: 'bearer', secret: 'a\r\nb' });
  endpoint('a username with a colon', { name: 'colon', baseUrl: 'http://127.0.0.1:1/dicom-web', authType: 'basic', username: 'a:b', secret: 's' });
  for (const timeoutMs of [-1, 0, 1e12, '100', 1.5, null]) endpoint(`timeoutMs ${JSON.stringify(timeoutMs)}`, { name: `t-${String(timeoutMs)}`, baseUrl: 'http://127.0.0.1:1/dicom-web', timeoutMs });
  const patch = (name: string, id: string, body: unknown) => json(`PATCH /api/pacs-endpoints/${id.slice(0, 12)} ${name}`, 'PATCH', `/api/pacs-endpoints/${id}`, body);
  patch('not a uuid', 'not-a-uuid', {});
  patch('an unknown id', '00000000-0000-4000-8000-000000000000', { timeoutMs: 1000 });
  patch('bearer without a secret', endpointId, { authType: 'bearer' });
  patch('enabled "no"', endpointId, { enabled: 'no' });
  patch('a secret with a NUL', endpointId, { authType: 'bearer', secret: 'x\u0000' });
  patch('a secret that is an object', endpointId, { secret: { toString: 'x' } });
  for (const query of ['limit=-1', 'limit=abc', 'limit=1e9', 'limit=1&limit=2', 'limit[$gt]=1']) cases.push({ category: 'json', name: `GET /api/jobs?${query}`, method: 'GET', path: `/api/jobs?${query}` });
  for (const query of ['', `endpointId=${endpointId}`, `endpointId=${endpointId}&study=01.2&series=1.2`, `endpointId=x&study=1.2&series=1.2`, `endpointId=${endpointId}&study=1.2&series=1.2&series=1.3`]) cases.push({ category: 'json', name: `GET /api/overlays?${query}`, method: 'GET', path: `/api/overlays?${query}` });
  for (const query of ['PatientName=%00', `endpointId=${endpointId}&limit=-5`, `endpointId=${endpointId}&studyDate=2020-01-01`]) cases.push({ category: 'json', name: `GET /api/studies?${query}`, method: 'GET', path: `/api/studies?${query}` });
  cases.push({ category: 'json', name: 'GET a decoded frame of UID 01.2', method: 'GET', path: `/api/decoded-frames/${endpointId}/studies/01.2/series/1.2/instances/1.3` });
  cases.push({ category: 'json', name: 'GET /api/jobs/<not a uuid>', method: 'GET', path: '/api/jobs/%2e%2e%2fsystem' });
  json('POST /api/auth/login-links role root', 'POST', '/api/auth/login-links', { role: 'root' });
  json('POST /api/auth/login-links next //evil.example', 'POST', '/api/auth/login-links', { next: '//evil.example' });
  json('POST /api/auth/login-links next javascript:', 'POST', '/api/auth/login-links', { next: 'javascript:alert(1)' });
  json('POST /api/auth/login-links/<bad code>/redeem', 'POST', '/api/auth/login-links/abc/redeem', {}, {}, false);
  json('POST /api/auth/tokens ttlSeconds -1', 'POST', '/api/auth/tokens', { role: 'user', name: 'x', ttlSeconds: -1 });
  json(`PUT the watcher with bad modalities`, 'PUT', `/api/pacs-endpoints/${endpointId}/watcher`, { enabled: true, modalities: ['ct', 'X'.repeat(100)] });
  json('POST /api/notifications/orthanc UID 01.2', 'POST', '/api/notifications/orthanc', { pacsEndpointId: endpointId, StudyInstanceUID: '01.2' });
  return cases;
}

function proxyCases(endpointId: string, orthancRootEndpointId: string, orthancId: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const get = (id: string, path: string, method = 'GET') => cases.push({ category: 'proxy', name: `${method} ${id === endpointId ? 'dicomweb' : 'orthanc-root'}/${path}`, method, path: `/api/dicomweb/${id}/${path}` });
  for (const path of [
    'studies/../../system',
    'studies/%2e%2e/%2e%2e/system',
    'studies/1.2%2F..%2F..%2Fsystem',
    'studies/..%5c..%5csystem',
    'studies//1.2',
    'studies/1.2/series/..',
    'studies/1.2\\..',
    'studies/1.2?x=%0d%0aSet-Cookie:a=b',
    'studies?PatientName=%00',
    'studies/1.2@evil.example',
    'http:%2f%2fevil.example',
    `studies/${'1.'.repeat(600)}1`,
    `studies?${'a=b&'.repeat(700)}`,
    'studies/01.2',
    'studies/1.2/series/1.3/instances/1.4/frames/0',
    'studies/1.2/series/1.3/instances/1.4/frames/abc',
    'studies/1.2/series/1.3/instances/1.4/frames/1/raw',
    'studies/1.2/series/1.3/instances/1.4/file',
    'studies/1.2/archive',
    'studies/1.2/series/1.3/media',
  ]) get(endpointId, path);
  for (const path of [`instances/${orthancId}/file`, `instances/${orthancId}`, `instances/${orthancId}/tags`, `studies/${orthancId}`, 'tools/find', 'tools/execute-script', 'system', 'patients', 'changes', 'plugins', 'modalities', 'peers', 'jobs', 'statistics', 'series/1.2/archive']) get(orthancRootEndpointId, path);
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) get(endpointId, 'studies', method);
  get('not-a-uuid', 'studies');
  get('00000000-0000-4000-8000-000000000000', 'studies');
  return cases;
}

export function hostileCorpus(ids: { endpointId: string; orthancRootEndpointId: string; orthancId: string }): HostileCase[] {
  return [...uploadCases(), ...jsonCases(ids.endpointId), ...proxyCases(ids.endpointId, ids.orthancRootEndpointId, ids.orthancId)];
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DicomwebClient, DicomwebHttpError, getJsonString } from '@covseg/dicom';

import { freePort } from '../support/orthanc';

const ct = resolve(__dirname, '../fixtures/seg/highdicom/referenced-ct-16x16/7106');

/**
 * A real Orthanc with HTTP basic authentication (RegisteredUsers). scripts/orthanc.sh starts Orthanc
 * without authentication, so this test writes its own configuration and owns the process.
 */
describe('DicomwebClient against an Orthanc that requires HTTP basic authentication', () => {
  let dir: string;
  let orthanc: ChildProcess;
  let baseUrl: string;
  const password = 'pw-only-in-this-test';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'covseg-orthanc-auth-'));
    const [httpPort, dicomPort] = [await freePort(), await freePort()];
    const config = {
      Name: 'covseg-auth',
      StorageDirectory: join(dir, 'db'),
      IndexDirectory: join(dir, 'db'),
      HttpPort: httpPort,
      DicomPort: dicomPort,
      HttpBindAddress: '127.0.0.1',
      DicomBindAddress: '127.0.0.1',
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      RegisteredUsers: { alice: password },
      Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
    };
    writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config));
    orthanc = spawn('Orthanc', [join(dir, 'orthanc.json')], { stdio: 'ignore' });
    baseUrl = `http://127.0.0.1:${httpPort}/dicom-web`;
    const authorization = `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;
    for (let attempt = 0; ; attempt++) {
      const ready = await fetch(`http://127.0.0.1:${httpPort}/system`, { headers: { Authorization: authorization } }).then((r) => r.ok, () => false);
      if (ready) break;
      if (attempt > 150 || orthanc.exitCode !== null) throw new Error(`Orthanc with authentication did not start (exit code ${orthanc.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    if (orthanc && orthanc.exitCode === null) {
      const exited = new Promise((r) => orthanc.once('exit', r));
      orthanc.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores and finds an instance with the right credentials', async () => {
    const client = new DicomwebClient({ baseUrl, auth: { type: 'basic', username: 'alice', password } });
    const stored = await client.store([new Uint8Array(readFileSync(ct))]);
    expect(stored.storedSopInstanceUIDs).toHaveLength(1);
    const studies = await client.searchStudies();
    expect(studies.map((s) => getJsonString(s, 'StudyInstanceUID'))).toHaveLength(1);
  });

  it('is refused with a non-transient 401 without credentials', async () => {
    const error = await new DicomwebClient({ baseUrl, retries: 2, backoffMs: 1 }).searchStudies().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomwebHttpError);
    expect(error).toMatchObject({ status: 401, transient: false, message: `QIDO-RS failed with status 401: GET ${baseUrl}/studies` });
  });

  it('is refused with a wrong password, and the message holds no password', async () => {
    const error = await new DicomwebClient({ baseUrl, auth: { type: 'basic', username: 'alice', password: 'wrong-pw' } }).searchStudies().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect(`${(error as Error).message}${(error as Error).stack}`).not.toMatch(/wrong-pw|pw-only-in-this-test/);
  });
});

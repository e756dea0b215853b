import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { freePort } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

/**
 * The Lua script the README documents: Orthanc calls us when a study is stable (no new instance for
 * StableAge seconds), with a user token; the watcher queues that study once.
 */
const luaScript = (serverUrl: string, endpointId: string, token: string) => `
function OnStableStudy(studyId, tags, metadata)
  local body = '{"pacsEndpointId":"${endpointId}","StudyInstanceUID":"' .. tags['StudyInstanceUID'] .. '"}'
  HttpPost('${serverUrl}/api/notifications/orthanc', body, {
    ['Authorization'] = 'Bearer ${token}',
    ['Content-Type'] = 'application/json'
  })
end
`;

describe('Orthanc notifying the server through a Lua OnStableStudy callback', () => {
  let dir: string;
  let orthanc: ChildProcess | undefined;
  let httpPort: number;
  let server: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'covseg-orthanc-lua-'));
    httpPort = await freePort();
    const dicomwebUrl = `http://127.0.0.1:${httpPort}/dicom-web`;
    server = await startTestServer({ dicomwebUrl });
    const token = (await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'orthanc lua' }) })).token;
    writeFileSync(join(dir, 'notify.lua'), luaScript(server.baseUrl, server.pacsEndpointId!, token));
    writeFileSync(
      join(dir, 'orthanc.json'),
      JSON.stringify({
        Name: 'covseg-lua',
        StorageDirectory: join(dir, 'db'),
        IndexDirectory: join(dir, 'db'),
        HttpPort: httpPort,
        DicomPort: await freePort(),
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        HttpBindAddress: '127.0.0.1',
        DicomBindAddress: '127.0.0.1',
        StableAge: 1,
        LuaScripts: [join(dir, 'notify.lua')],
        Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
        DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: true },
      }),
    );
    const log = openSync(join(dir, 'orthanc.log'), 'w');
    orthanc = spawn('Orthanc', [join(dir, 'orthanc.json')], { stdio: ['ignore', log, log] });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${httpPort}/system`)).ok) break;
      } catch {
        // Not up yet.
      }
      if (Date.now() > deadline) throw new Error('Orthanc with the Lua script did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    // A long poll interval: after the baseline poll, only the notification can queue a study in time.
    await server.json(`/api/pacs-endpoints/${server.pacsEndpointId}/watcher`, { method: 'PUT', body: JSON.stringify({ enabled: true, pollSeconds: 3600 }) });
    while (!(await server.json<{ lastPollAt: string | null }>(`/api/pacs-endpoints/${server.pacsEndpointId}/watcher`)).lastPollAt) {
      if (Date.now() > deadline + 30_000) throw new Error('The watcher never made its baseline poll');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await server?.stop();
    if (orthanc && orthanc.exitCode === null) {
      const exited = new Promise((r) => orthanc!.once('exit', r));
      orthanc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('segments a study pushed into Orthanc once, without waiting for a poll', async () => {
    const study = SeriesFactory.ct().size(48, 48).pixelSpacingMm(6, 6).slices(12).build();
    for (const file of study.files) {
      const response = await fetch(`http://127.0.0.1:${httpPort}/instances`, { method: 'POST', body: Buffer.from(file) });
      expect(response.ok).toBe(true);
    }
    const deadline = Date.now() + 60_000;
    let jobs: any[] = [];
    while (jobs.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      jobs = (await server.json<any[]>('/api/jobs?limit=50')).filter((j) => j.studyInstanceUID === study.studyInstanceUID);
    }
    const watcher = await server.json(`/api/pacs-endpoints/${server.pacsEndpointId}/watcher`);
    expect(jobs, `watcher ${JSON.stringify(watcher)}\nOrthanc log:\n${readFileSync(join(dir, 'orthanc.log'), 'utf8').slice(-3000)}`).toHaveLength(1);
    expect((await waitForJob(server, jobs[0].id)).status).toBe('succeeded');
    const audit = await server.json<any[]>('/api/audit?limit=100');
    expect(audit.some((e) => e.action === 'watcher.enqueue' && e.target === `study:${study.studyInstanceUID}`)).toBe(true);
  });
});

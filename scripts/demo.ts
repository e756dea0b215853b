// The client half of `npm run demo` (scripts/demo.sh starts Orthanc and the server first): loads the
// committed LIDC-IDRI-0001 series into Orthanc if it is not there, registers the PACS endpoint
// (idempotently), runs one segmentation job and prints the result as the LAST stdout line, one JSON object.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDicom } from '@covseg/dicom';

const root = resolve(__dirname, '..');
const archive = join(root, 'tests/fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');
const unpacked = join(root, '.var/lidc-idri-0001');
const ENDPOINT_NAME = 'demo-orthanc';

function option(name: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : undefined;
  if (!value) throw new Error(`demo.ts: missing --${name}`);
  return value;
}

const server = option('server');
const pacs = option('pacs');
const orthanc = option('orthanc');
const orthancDicomPort = Number(option('orthanc-dicom-port'));
/** Orthanc's DICOM AE (scripts/orthanc.sh): it may push to our C-STORE SCP, and results could go back by C-STORE. */
const ORTHANC_DICOM = { dicomAeTitle: 'ORTHANC', dicomHost: '127.0.0.1', dicomPort: orthancDicomPort };
const token = readFileSync(option('token-file'), 'utf8').trim();
const log = (message: string) => process.stderr.write(`demo: ${message}\n`);

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const request = () =>
    fetch(`${server}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  let response: Response;
  try {
    response = await request();
  } catch (error) {
    // A reused keep-alive connection the server closed at the same moment (ECONNRESET) is likelier while
    // the job keeps the server's event loop busy; a GET is safe to send again, once.
    if ((init.method ?? 'GET') !== 'GET') throw error;
    await new Promise((r) => setTimeout(r, 500));
    response = await request();
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

function sliceFiles(): string[] {
  const folder = join(unpacked, 'lidc-idri-0001-chest-ct');
  if (!existsSync(folder)) {
    mkdirSync(unpacked, { recursive: true });
    log(`unpacking ${archive}`);
    execFileSync('tar', ['-xJf', archive, '-C', unpacked]);
  }
  return readdirSync(folder).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(folder, f));
}

async function loadSeries(files: string[], seriesInstanceUID: string): Promise<void> {
  const found = await fetch(`${orthanc}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { SeriesInstanceUID: seriesInstanceUID } }) });
  if (!found.ok) throw new Error(`Orthanc /tools/find answered ${found.status}`);
  const have = ((await found.json()) as string[]).length;
  if (have >= files.length) {
    log(`Orthanc already holds the ${have} slices of series ${seriesInstanceUID}`);
    return;
  }
  log(`uploading ${files.length} slices of series ${seriesInstanceUID} to Orthanc (REST /instances)`);
  for (const file of files) {
    const response = await fetch(`${orthanc}/instances`, { method: 'POST', body: readFileSync(file) });
    if (!response.ok) throw new Error(`Orthanc refused ${file} with status ${response.status}`);
  }
}

async function main(): Promise<void> {
  const files = sliceFiles();
  const first = parseDicom(new Uint8Array(readFileSync(files[0]))).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
  await loadSeries(files, first.SeriesInstanceUID);

  const health = await api<{
    model: { name: string; version: string; trained: boolean; provider: string } | null;
    dicom?: { aeTitle: string; host: string; port: number; listening: boolean };
  }>('/api/health');
  if (health.model && !health.model.trained) {
    const bar = '!'.repeat(78);
    log(`${bar}\n!!! THE MODEL ${health.model.name} ${health.model.version} IS UNTRAINED (covseg.trained=untrained).\n!!! Its infection masks and volumes are MEANINGLESS. Train and export a model first.\n${bar}`);
  }

  type Endpoint = { id: string; name: string; baseUrl: string; dicomAeTitle?: string; dicomPort?: number };
  const endpoints = await api<Endpoint[]>('/api/pacs-endpoints');
  let endpoint = endpoints.find((e) => e.name === ENDPOINT_NAME);
  if (endpoint && (endpoint.baseUrl !== pacs || endpoint.dicomAeTitle !== ORTHANC_DICOM.dicomAeTitle || endpoint.dicomPort !== ORTHANC_DICOM.dicomPort)) {
    endpoint = await api<Endpoint>(`/api/pacs-endpoints/${endpoint.id}`, { method: 'PATCH', body: JSON.stringify({ baseUrl: pacs, ...ORTHANC_DICOM }) });
  }
  endpoint ??= await api<Endpoint>('/api/pacs-endpoints', {
    method: 'POST',
    body: JSON.stringify({ name: ENDPOINT_NAME, baseUrl: pacs, authType: 'none', timeoutMs: 60_000, ...ORTHANC_DICOM }),
  });

  const started = performance.now();
  // No series named: the server picks the axial CT series itself and explains why in the job.
  const { id } = await api<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpoint.id, studyInstanceUID: first.StudyInstanceUID }) });
  log(`job ${id} queued`);
  let job: any;
  let lastReport = '';
  for (;;) {
    job = await api<any>(`/api/jobs/${id}`);
    const report = `${job.status}${job.stage ? ` (${job.stage} ${job.progress.slicesDone}/${job.progress.slicesTotal})` : ''}`;
    if (report !== lastReport) log(`job ${id}: ${report}`);
    lastReport = report;
    if (job.status !== 'queued' && job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (job.status !== 'succeeded') throw new Error(`job ${id} ${job.status}: ${job.error?.code}: ${job.error?.message}`);
  log(`stage timings (ms): ${JSON.stringify(job.timings)}`);
  const q = job.result.quantification;
  const params = new URLSearchParams({ endpoint: endpoint.id, study: first.StudyInstanceUID, series: job.seriesInstanceUID });
  const viewerPath = `/#/viewer?${params.toString()}`;
  // The API needs a token; a one-time login link (trust module) signs a browser in and lands on the viewer.
  const login = await api<{ url: string; expiresAt: string }>('/api/auth/login-links', {
    method: 'POST',
    body: JSON.stringify({ role: 'reviewer', next: viewerPath, ttlSeconds: 3600 }),
  });
  log(`open the viewer signed in (one-time link, valid until ${login.expiresAt}): ${login.url}`);
  process.stdout.write(
    `${JSON.stringify({
      pacs,
      studyInstanceUID: first.StudyInstanceUID,
      seriesInstanceUID: job.seriesInstanceUID,
      segSeriesInstanceUID: job.result.segSeriesInstanceUID,
      segSopInstanceUID: job.result.segSopInstanceUID,
      srSeriesInstanceUID: job.result.srSeriesInstanceUID ?? null,
      srSopInstanceUID: job.result.srSopInstanceUID ?? null,
      deviceUID: job.result.deviceUID ?? null,
      slices: job.result.slices ?? job.progress.slicesTotal,
      infectionVolumeMl: q?.infectionVolumeMl ?? null,
      lungVolumeMl: q?.lungVolumeMl ?? null,
      involvementPercent: q?.involvementPercent ?? null,
      // Multi-class models only (covseg.classes); absent for a binary model rather than zeros it never measured.
      ...(q?.classes ? { classes: demoClasses(q) } : {}),
      reused: job.result.reused,
      modelTrained: job.result.model.trained,
      seconds,
      jobId: id,
      // viewerUrl must open the demo series without extra steps (a fresh browser has no token), so it
      // is the one-time login link, which lands on the deep link; viewerDeepLink is for a signed-in browser.
      viewerUrl: login.url,
      viewerDeepLink: `${server}${viewerPath}`,
      // Our C-STORE SCP: Orthanc (AE ORTHANC) may push to it; storescu/echoscu reach it the same way.
      ...(health.dicom ? { dicom: `${health.dicom.aeTitle}@${health.dicom.host}:${health.dicom.port}` } : {}),
    })}\n`,
  );
}

interface DemoClassFigures {
  volumeMl: number;
  involvementPercent: number;
}
interface DemoRegion {
  classes?: { ggo: DemoClassFigures; consolidation: DemoClassFigures };
}

/** `{ ggo: { volumeMl, percentOfLung, right?, left? }, consolidation: … }` from the job's per-region classes. */
function demoClasses(q: DemoRegion & { right?: DemoRegion; left?: DemoRegion }): Record<string, unknown> {
  const figures = (c: DemoClassFigures) => ({ volumeMl: c.volumeMl, percentOfLung: c.involvementPercent });
  return Object.fromEntries(
    (['ggo', 'consolidation'] as const).map((name) => [
      name,
      {
        ...figures(q.classes![name]),
        ...(q.right?.classes ? { right: figures(q.right.classes[name]) } : {}),
        ...(q.left?.classes ? { left: figures(q.left.classes[name]) } : {}),
      },
    ]),
  );
}

main().catch((error: unknown) => {
  // fetch's own message is only "fetch failed"; the cause says what (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, …).
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  process.stderr.write(`demo: FAILED: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? cause.message})` : ''}\n`);
  process.exit(1);
});

// The client half of `npm run demo:scale` (scripts/demo-scale.sh starts Redis, PostgreSQL, Orthanc, the
// API and two workers first): loads the committed LIDC-IDRI-0001 CT as 4 distinct studies, submits 4
// jobs, SIGKILLs a worker while it holds a job, waits, and prints one JSON object as the LAST stdout line.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const archive = join(root, 'tests/fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');
const unpacked = join(root, '.var/lidc-idri-0001');
const STUDIES = 4;
const WORKERS = ['worker-1', 'worker-2'];

function option(name: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : undefined;
  if (!value) throw new Error(`demo-scale.ts: missing --${name}`);
  return value;
}

const server = option('server');
const pacs = option('pacs');
const orthanc = option('orthanc');
const varDir = option('var');
const token = readFileSync(option('token-file'), 'utf8').trim();
const log = (message: string) => process.stderr.write(`demo:scale: ${message}\n`);

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function orthancJson<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${orthanc}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`Orthanc ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
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

/** A UID under the 2.25 root (PS3.5 B.2): a random 128-bit integer, unique without a registered root. */
const newUid = () => `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`;

/**
 * Uploads the sample CT once, then lets Orthanc copy it into 4 studies with new Study UIDs (its study-level
 * modify also gives every series and instance a new UID), and deletes the original.
 */
async function loadStudies(): Promise<string[]> {
  const files = sliceFiles();
  log(`uploading the ${files.length} slices of LIDC-IDRI-0001 to Orthanc`);
  let orthancStudy = '';
  for (const file of files) {
    const response = await fetch(`${orthanc}/instances`, { method: 'POST', body: readFileSync(file) });
    if (!response.ok) throw new Error(`Orthanc refused ${file} with status ${response.status}`);
    orthancStudy = ((await response.json()) as { ParentStudy: string }).ParentStudy;
  }
  const uids: string[] = [];
  for (let i = 1; i <= STUDIES; i++) {
    const uid = newUid();
    await orthancJson(`/studies/${orthancStudy}/modify`, { Replace: { StudyInstanceUID: uid, AccessionNumber: `SCALE${i}`, StudyID: `SCALE${i}` }, Force: true });
    uids.push(uid);
  }
  await fetch(`${orthanc}/studies/${orthancStudy}`, { method: 'DELETE' });
  log(`the PACS holds ${STUDIES} copies of the CT as distinct studies`);
  return uids;
}

/** SEG instances of a study, counted by QIDO-RS on the PACS (series, then their instances). */
async function segsOnPacs(studyInstanceUID: string): Promise<number> {
  const qido = async (path: string) => {
    const response = await fetch(`${pacs}${path}`, { headers: { accept: 'application/dicom+json' } });
    if (response.status === 204) return [];
    if (!response.ok) throw new Error(`QIDO-RS ${path} answered ${response.status}`);
    return (await response.json()) as Array<Record<string, { Value?: string[] }>>;
  };
  let count = 0;
  for (const series of await qido(`/studies/${studyInstanceUID}/series?Modality=SEG`)) {
    count += (await qido(`/studies/${studyInstanceUID}/series/${series['0020000E'].Value![0]}/instances`)).length;
  }
  return count;
}

const workerLog = (id: string) => {
  try {
    return readFileSync(join(varDir, `${id}.log`), 'utf8');
  } catch {
    return '';
  }
};
const succeededBy = (id: string) => (workerLog(id).match(/Job [0-9a-f-]{36} succeeded/g) ?? []).length;
/** The worker whose log says it took the job last. */
function holderOf(jobId: string): string | undefined {
  let holder: string | undefined;
  let latest = -1;
  for (const id of WORKERS) {
    const at = workerLog(id).lastIndexOf(`Job ${jobId} taken by worker ${id}`);
    if (at > latest) [latest, holder] = [at, id];
  }
  return holder;
}

async function main(): Promise<void> {
  const started = performance.now();
  const studies = await loadStudies();
  const endpoint = await api<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'demo-scale-orthanc', baseUrl: pacs, authType: 'none', timeoutMs: 60_000 }) });
  const ids: string[] = [];
  for (const studyInstanceUID of studies) ids.push((await api<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: endpoint.id, studyInstanceUID }) })).id);
  log(`${ids.length} jobs queued: ${ids.join(', ')}`);

  let killedWorker: string | null = null;
  const killed = new Set<string>();
  let last = '';
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => api<any>(`/api/jobs/${id}`)));
    const report = jobs.map((j) => `${j.id.slice(0, 8)} ${j.status}${j.stage ? `/${j.stage} ${j.progress.slicesDone}/${j.progress.slicesTotal}` : ''}${j.queue?.position !== null && j.queue?.position !== undefined ? ` #${j.queue.position}` : ''}`).join(' | ');
    if (report !== last) log(report);
    last = report;
    if (killedWorker === null) {
      // Kill a worker that holds a job mid-inference, preferably one that already finished a job, so
      // that both workers have jobs to their name at the end (the demo's own check).
      const holding = jobs.filter((j) => j.status === 'running' && j.stage === 'infer').map((j) => ({ job: j.id as string, worker: holderOf(j.id) })).filter((h) => h.worker !== undefined);
      const done = jobs.filter((j) => j.status === 'succeeded').length;
      const victim = holding.find((h) => succeededBy(h.worker!) > 0) ?? (done >= 2 ? holding[0] : undefined);
      if (victim) {
        const pid = Number(readFileSync(join(varDir, `${victim.worker}.pid`), 'utf8'));
        process.kill(pid, 'SIGKILL');
        killedWorker = victim.worker!;
        killed.add(killedWorker);
        log(`SIGKILL ${killedWorker} (pid ${pid}) while it holds job ${victim.job} mid-inference`);
      }
    }
    if (jobs.every((j) => j.status !== 'queued' && j.status !== 'running')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const jobs = await Promise.all(ids.map((id) => api<any>(`/api/jobs/${id}`)));
  for (const job of jobs.filter((j) => j.status !== 'succeeded')) log(`job ${job.id} ${job.status}: ${job.error?.code}: ${job.error?.message}`);
  let segs = 0;
  for (const uid of studies) segs += await segsOnPacs(uid);
  const viewerPath = '/#/jobs';
  const login = await api<{ url: string }>('/api/auth/login-links', { method: 'POST', body: JSON.stringify({ role: 'reviewer', next: viewerPath, ttlSeconds: 3600 }) });
  log(`open the viewer signed in (one-time link): ${login.url}`);
  process.stdout.write(
    `${JSON.stringify({
      jobs: ids.length,
      succeeded: jobs.filter((j) => j.status === 'succeeded').length,
      segsOnPacs: segs,
      workers: WORKERS.map((id) => ({ id, jobs: succeededBy(id) })),
      killedWorker,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  process.stderr.write(`demo:scale: FAILED: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? cause.message})` : ''}\n`);
  process.exit(1);
});

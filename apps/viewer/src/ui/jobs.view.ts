import { api } from '../api/covseg-api';
import type { Job, WorklistRow } from '../api/types';
import { queueText } from './job-panel';
import { formatDicomDate, h, type Teardown } from './dom';
import { showError } from './toast';

const REFRESH_MS = 3000;
const OUTCOME_TEXT: Record<WorklistRow['outcome'], string> = { new: 'new result', reused: 'reused', failed: 'failed', running: 'running', queued: 'queued', cancelled: 'cancelled' };
const REVIEW_TEXT: Record<NonNullable<WorklistRow['reviewStatus']>, string> = { ai: 'AI', reviewed: 'reviewed', rejected: 'rejected' };

/**
 * The worklist: recent jobs as a radiologist reads them (patient ID, study date, accession, description,
 * outcome with its reason, involvement %, review status), each row opening the viewer; filters by
 * outcome, review status and date. Refreshes while open.
 */
export async function jobsView(container: HTMLElement): Promise<Teardown> {
  const body = h('tbody', {});
  const outcome = h('select', { name: 'outcome', 'aria-label': 'Outcome' }, h('option', { value: '' }, 'any outcome'), ...Object.entries(OUTCOME_TEXT).map(([v, t]) => h('option', { value: v }, t)));
  const review = h('select', { name: 'review', 'aria-label': 'Review status' }, h('option', { value: '' }, 'any review'), ...Object.entries(REVIEW_TEXT).map(([v, t]) => h('option', { value: v }, t)));
  const from = h('input', { type: 'date', name: 'from', 'aria-label': 'From' });
  const to = h('input', { type: 'date', name: 'to', 'aria-label': 'To' });
  for (const control of [outcome, review, from, to]) control.addEventListener('change', () => void refresh(false));
  container.append(
    h('section', { class: 'page' }, h('h1', {}, 'Worklist'),
      h('div', { class: 'search-form' }, h('label', {}, 'Outcome', outcome), h('label', {}, 'Review', review), h('label', {}, 'Created from', from), h('label', {}, 'to', to)),
      h('table', { class: 'grid', 'data-testid': 'jobs-table' },
        h('thead', {}, h('tr', {}, ...['Patient ID', 'Study date', 'Accession', 'Description', 'Outcome', 'Involvement', 'Review', 'Created', 'Job'].map((t) => h('th', {}, t)))),
        body)),
  );
  let timer: number | undefined;
  let alive = true;
  async function refresh(schedule = true): Promise<void> {
    if (timer !== undefined) window.clearTimeout(timer);
    try {
      const rows = await api.worklist({ outcome: outcome.value || undefined, review: review.value || undefined, from: from.value || undefined, to: to.value || undefined });
      // Queue position, ETA and progress come from each active job (GET /api/jobs/:id), whichever worker runs it.
      const active = await Promise.all(rows.filter((r) => r.outcome === 'queued' || r.outcome === 'running').map((r) => api.job(r.jobId).catch(() => undefined)));
      const jobs = new Map(active.filter((j): j is Job => j !== undefined).map((j) => [j.id, j]));
      if (!alive) return;
      body.replaceChildren(...rows.map((row) => worklistRow(row, jobs.get(row.jobId))));
      if (rows.length === 0) body.appendChild(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No jobs match.')));
    } catch (error) {
      showError(error, 'Listing the worklist');
      return;
    }
    if (schedule || alive) timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
  await refresh();
  return () => {
    alive = false;
    if (timer !== undefined) window.clearTimeout(timer);
  };
}

function worklistRow(row: WorklistRow, job: Job | undefined): HTMLElement {
  const href = row.seriesInstanceUID ? `#/viewer?${new URLSearchParams({ endpoint: row.pacsEndpointId, study: row.studyInstanceUID, series: row.seriesInstanceUID })}` : undefined;
  const link = (text: string) => (href ? h('a', { href }, text || '(no ID)') : text);
  // Keep data-status (the job's status) for scripts that read the table; the outcome is what people read.
  const status = row.outcome === 'new' || row.outcome === 'reused' ? 'succeeded' : row.outcome;
  return h(
    'tr',
    { 'data-status': status, 'data-outcome': row.outcome, 'data-review': row.reviewStatus ?? 'none' },
    h('td', {}, link(row.patientId)),
    h('td', {}, formatDicomDate(row.studyDate)),
    h('td', {}, row.accessionNumber),
    h('td', {}, row.studyDescription),
    h('td', {}, h('span', { class: `badge badge-${row.outcome}` }, OUTCOME_TEXT[row.outcome]), row.reason ? h('div', { class: row.outcome === 'failed' ? 'error' : 'muted' }, row.reason) : '', job ? activeDetail(job) : ''),
    h(
      'td',
      {},
      row.involvementPercent === null ? '' : `${row.involvementPercent.toFixed(2)} %`,
      row.classInvolvementPercent
        ? h('div', { class: 'muted class-split', 'data-testid': 'class-involvement' }, `GGO ${row.classInvolvementPercent.ggo.toFixed(2)} % · cons. ${row.classInvolvementPercent.consolidation.toFixed(2)} %`)
        : false,
    ),
    h('td', {}, row.reviewStatus ? h('span', { class: `badge badge-review-${row.reviewStatus}` }, REVIEW_TEXT[row.reviewStatus]) : ''),
    h('td', {}, new Date(row.createdAt).toLocaleString()),
    h('td', { class: 'uid muted' }, row.jobId),
  );
}

/** Progress and queue figures of a waiting or running job. */
function activeDetail(job: Job): HTMLElement {
  const total = job.progress?.slicesTotal ?? 0;
  const slices = job.status === 'running' && total > 0 ? `${job.progress?.slicesDone ?? 0}/${total} slices` : '';
  return h('div', { class: 'muted', 'data-testid': 'job-queue' }, [slices, queueText(job)].filter(Boolean).join(' · '));
}

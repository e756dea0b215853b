import { api } from '../api/covseg-api';
import type { Job } from '../api/types';
import { h, type Teardown } from './dom';
import { showError } from './toast';

const REFRESH_MS = 3000;

/** Recent jobs with status, progress, failure reasons and timings; refreshes while open. */
export async function jobsView(container: HTMLElement): Promise<Teardown> {
  const body = h('tbody', {});
  container.append(
    h('section', { class: 'page' }, h('h1', {}, 'Jobs'),
      h('table', { class: 'grid', 'data-testid': 'jobs-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'Created'), h('th', {}, 'Status'), h('th', {}, 'Progress'), h('th', {}, 'Series'), h('th', {}, 'Details'))),
        body)),
  );
  let timer: number | undefined;
  let alive = true;
  async function refresh(): Promise<void> {
    try {
      const jobs = await api.jobs();
      if (!alive) return;
      body.replaceChildren(...jobs.map(jobRow));
      if (jobs.length === 0) body.appendChild(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No jobs yet.')));
    } catch (error) {
      showError(error, 'Listing jobs');
      return;
    }
    timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
  await refresh();
  return () => {
    alive = false;
    if (timer !== undefined) window.clearTimeout(timer);
  };
}

function jobRow(job: Job): HTMLElement {
  const series = job.seriesInstanceUID ?? job.requestedSeriesInstanceUID ?? '';
  const href = series ? `#/viewer?${new URLSearchParams({ endpoint: job.pacsEndpointId, study: job.studyInstanceUID, series })}` : undefined;
  const progress = job.progress?.slicesTotal ? `${job.progress.slicesDone}/${job.progress.slicesTotal}` : '';
  const details = job.status === 'failed' ? h('span', { class: 'error' }, `${job.error?.code ?? ''}: ${job.error?.message ?? ''}`) : h('span', { class: 'muted' }, Object.entries(job.timings ?? {}).map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(2)} s`).join(' · '));
  return h(
    'tr',
    { 'data-status': job.status },
    h('td', {}, job.id),
    h('td', {}, job.createdAt ? new Date(job.createdAt).toLocaleString() : ''),
    h('td', {}, h('span', { class: `badge badge-${job.status}` }, job.status), job.stage ? ` ${job.stage}` : ''),
    h('td', {}, progress),
    h('td', { class: 'uid' }, href ? h('a', { href }, series) : series || job.studyInstanceUID),
    h('td', {}, details),
  );
}

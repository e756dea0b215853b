import { api } from '../api/covseg-api';
import type { Job } from '../api/types';
import { h } from './dom';
import { showError, showInfo } from './toast';

const POLL_MS = 1000;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** "Segment this series" with live progress; calls `onSucceeded` so the overlay appears without reload. */
export function jobPanel(endpointId: string, study: string, series: string, onSucceeded: (job: Job) => void): { element: HTMLElement; destroy: () => void } {
  let timer: number | undefined;
  let destroyed = false;
  const status = h('div', { class: 'job-status', 'data-testid': 'job-status' });
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'data-testid': 'job-progress' });
  const queue = h('div', { class: 'muted', 'data-testid': 'job-queue' });
  const timings = h('div', { class: 'timings', 'data-testid': 'job-timings' });
  const button = h('button', { type: 'button', class: 'primary', 'data-testid': 'segment-button', onclick: () => void start() }, 'Segment this series');
  const element = h('section', { class: 'job-panel' }, h('h3', {}, 'Segmentation'), button, progress, status, queue, timings);

  async function start(): Promise<void> {
    button.disabled = true;
    try {
      const created = await api.createJob(endpointId, study, series);
      showInfo(`Job ${created.id} queued`);
      follow(await api.job(created.id));
    } catch (error) {
      button.disabled = false;
      showError(error, 'Starting segmentation');
    }
  }

  function follow(job: Job): void {
    render(job);
    if (TERMINAL.has(job.status)) {
      button.disabled = false;
      if (job.status === 'succeeded') onSucceeded(job);
      if (job.status === 'failed') showError(`${job.error?.code ?? 'failed'}: ${job.error?.message ?? 'no reason given'}`, `Job ${job.id}`);
      return;
    }
    button.disabled = true;
    timer = window.setTimeout(async () => {
      if (destroyed) return;
      try {
        follow(await api.job(job.id));
      } catch (error) {
        button.disabled = false;
        showError(error, `Following job ${job.id}`);
      }
    }, POLL_MS);
  }

  function render(job: Job): void {
    const total = job.progress?.slicesTotal ?? 0;
    const done = job.progress?.slicesDone ?? 0;
    progress.hidden = TERMINAL.has(job.status);
    progress.value = total > 0 ? done / total : 0;
    const stage = job.stage ? ` — ${job.stage}` : '';
    const slices = total > 0 ? ` (${done}/${total} slices)` : '';
    status.textContent = `Job ${job.id}: ${job.status}${stage}${slices}`;
    status.dataset.status = job.status;
    queue.textContent = queueText(job);
    if (job.status === 'failed') status.textContent += `: ${job.error?.message ?? job.error?.code ?? ''}`;
    timings.replaceChildren(...(job.status === 'succeeded' ? timingRows(job.timings ?? {}) : []));
  }

  /** Picks up a job that was already running for this series when the viewer opened. */
  async function resume(): Promise<void> {
    try {
      const jobs = await api.jobs();
      const active = jobs.find((j) => (j.seriesInstanceUID === series || j.requestedSeriesInstanceUID === series) && !TERMINAL.has(j.status));
      if (active && !destroyed) follow(active);
    } catch (error) {
      showError(error, 'Listing jobs');
    }
  }
  void resume();

  return {
    element,
    destroy: () => {
      destroyed = true;
      if (timer !== undefined) window.clearTimeout(timer);
    },
  };
}

/** "3rd in queue · about 2 min left" for a waiting or running job; empty otherwise or without the figures. */
export function queueText(job: Job): string {
  if (TERMINAL.has(job.status) || !job.queue) return '';
  const parts: string[] = [];
  if (job.status === 'queued' && job.queue.position !== null) parts.push(job.queue.position === 0 ? 'next in queue' : `${job.queue.position} job${job.queue.position === 1 ? '' : 's'} ahead`);
  if (job.queue.etaSeconds !== null) parts.push(`about ${formatSeconds(job.queue.etaSeconds)} left`);
  if (job.queue.workers > 1) parts.push(`${job.queue.workers} workers`);
  return parts.join(' · ');
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Per-stage timings (ms) as a small table. */
export function timingRows(timings: Record<string, number>): HTMLElement[] {
  const entries = Object.entries(timings);
  if (entries.length === 0) return [];
  return [h('table', { class: 'timing-table' }, ...entries.map(([stage, ms]) => h('tr', {}, h('th', {}, stage), h('td', {}, `${(ms / 1000).toFixed(2)} s`))))];
}

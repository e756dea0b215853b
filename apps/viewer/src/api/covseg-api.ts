import { apiFetch, apiJson, withQuery } from './http-client';
import type { WorklistRow, Correction, SaveCorrectionInput, ConnectionTest, Job, OverlaysResponse, PacsEndpoint, PacsEndpointInput, PacsEndpointUpdate, SegmentImageResult, SeriesSummary, StudySummary } from './types';
import type { Me } from '../state/session';

export interface StudyQuery {
  endpointId: string;
  patientId?: string;
  patientName?: string;
  studyDate?: string;
  accessionNumber?: string;
}

/** Root of the server's DICOMweb proxy for one endpoint; the browser never sees the PACS URL. */
export function dicomwebRoot(endpointId: string): string {
  return `/api/dicomweb/${encodeURIComponent(endpointId)}`;
}

export const api = {
  me: () => apiJson<Me>('/api/auth/me'),
  studies: (query: StudyQuery) => apiJson<StudySummary[]>(withQuery('/api/studies', { ...query })),
  series: (endpointId: string, study: string) => apiJson<SeriesSummary[]>(withQuery('/api/series', { endpointId, study })),
  overlays: (endpointId: string, study: string, series: string) => apiJson<OverlaysResponse>(withQuery('/api/overlays', { endpointId, study, series })),
  saveCorrection: (input: SaveCorrectionInput) => apiJson<Correction>('/api/corrections', { method: 'POST', body: JSON.stringify(input) }),
  setReview: (input: { endpointId: string; study: string; series: string; segSeriesInstanceUID: string; segSopInstanceUID: string; status: 'accepted' | 'rejected' }) =>
    apiJson<{ status: string }>('/api/reviews', { method: 'PUT', body: JSON.stringify(input) }),
  worklist: (query: { outcome?: string; review?: string; from?: string; to?: string }) => apiJson<WorklistRow[]>(withQuery('/api/worklist', query)),
  jobs: () => apiJson<Job[]>('/api/jobs?limit=100'),
  job: (id: string) => apiJson<Job>(`/api/jobs/${encodeURIComponent(id)}`),
  createJob: (endpointId: string, study: string, series: string, force = false) =>
    apiJson<Pick<Job, 'id' | 'status'>>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: endpointId, studyInstanceUID: study, seriesInstanceUID: series, force }),
    }),
  endpoints: () => apiJson<PacsEndpoint[]>('/api/pacs-endpoints'),
  createEndpoint: (input: PacsEndpointInput) => apiJson<PacsEndpoint>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify(input) }),
  updateEndpoint: (id: string, input: PacsEndpointUpdate) =>
    apiJson<PacsEndpoint>(`/api/pacs-endpoints/${encodeURIComponent(id)}`, { method: 'PATCH', body: JSON.stringify(input) }),
  deleteEndpoint: (id: string) => apiFetch(`/api/pacs-endpoints/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined),
  testEndpoint: (id: string) => apiJson<ConnectionTest>(`/api/pacs-endpoints/${encodeURIComponent(id)}/test`, { method: 'POST' }),
  segmentImage: (file: File) => {
    const form = new FormData();
    form.append('file', file);
    return apiJson<SegmentImageResult>('/api/segment-image', { method: 'POST', body: form });
  },
};

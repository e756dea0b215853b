import { api } from '../api/covseg-api';
import type { SeriesSummary, StudySummary } from '../api/types';
import { setPreferredEndpoint } from '../state/preferences';
import { formatDicomDate, formatPersonName, h, type Teardown } from './dom';
import { endpointPicker } from './endpoint-picker';
import { showError } from './toast';

const STATUS_TEXT: Record<StudySummary['segStatus'], string> = { seg: 'SEG available', running: 'job running', none: '—' };
const REVIEW_TEXT: Record<NonNullable<StudySummary['reviewStatus']>, string> = { ai: 'AI', reviewed: 'reviewed', rejected: 'rejected' };

/** Study search on one PACS endpoint, with each study's segmentation status and its series. */
export async function studyListView(container: HTMLElement): Promise<Teardown> {
  let alive = true;
  const results = h('tbody', {});
  const summary = h('p', { class: 'muted', 'data-testid': 'study-count' });
  const picker = await endpointPicker(() => void search());
  const field = (name: string, label: string, placeholder = '') => h('label', {}, label, h('input', { name, placeholder, autocomplete: 'off' }));
  const form = h(
    'form',
    { class: 'search-form', onsubmit: (e: Event) => (e.preventDefault(), void search()) },
    h('label', {}, 'PACS', picker.element),
    field('patientId', 'Patient ID'),
    field('patientName', 'Patient name', 'DOE* or Doe^John'),
    field('studyDate', 'Study date', 'YYYYMMDD or range'),
    field('accessionNumber', 'Accession'),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  container.append(
    h('section', { class: 'page' }, h('h1', {}, 'Studies'), form, summary, h('table', { class: 'grid', 'data-testid': 'study-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Patient'), h('th', {}, 'Patient ID'), h('th', {}, 'Date'), h('th', {}, 'Accession'), h('th', {}, 'Description'), h('th', {}, 'Modalities'), h('th', {}, 'Segmentation'), h('th', {}, 'Involvement'), h('th', {}, 'Review'))),
      results)),
  );

  async function search(): Promise<void> {
    const endpointId = picker.value();
    if (!endpointId) return;
    setPreferredEndpoint(endpointId);
    const data = new FormData(form);
    const text = (key: string) => String(data.get(key) ?? '').trim() || undefined;
    summary.textContent = 'Searching…';
    try {
      const studies = await api.studies({ endpointId, patientId: text('patientId'), patientName: text('patientName'), studyDate: text('studyDate'), accessionNumber: text('accessionNumber') });
      if (!alive) return;
      results.replaceChildren(...studies.map((study) => studyRow(endpointId, study)));
      summary.textContent = `${studies.length} ${studies.length === 1 ? 'study' : 'studies'}`;
    } catch (error) {
      summary.textContent = '';
      showError(error, 'Searching studies');
    }
  }

  function studyRow(endpointId: string, study: StudySummary): HTMLElement {
    const seriesCell = h('td', { colspan: 9, class: 'series-cell' });
    const seriesRow = h('tr', { class: 'series-row', hidden: true }, seriesCell);
    const row = h(
      'tr',
      { class: 'study-row', tabindex: 0, 'data-study': study.studyInstanceUID, onclick: () => void toggle() },
      h('td', {}, formatPersonName(study.patientName)),
      h('td', {}, study.patientId),
      h('td', {}, formatDicomDate(study.studyDate)),
      h('td', {}, study.accessionNumber),
      h('td', {}, study.studyDescription),
      h('td', {}, study.modalities.join(', ')),
      h('td', {}, h('span', { class: `badge badge-${study.segStatus}`, 'data-testid': 'seg-status' }, STATUS_TEXT[study.segStatus])),
      h(
        'td',
        { 'data-testid': 'involvement' },
        study.involvementPercent === null || study.involvementPercent === undefined ? '' : `${study.involvementPercent.toFixed(2)} %`,
        // Multi-class results: the split into ground glass and consolidation under the total.
        study.classInvolvementPercent
          ? h('div', { class: 'muted class-split', 'data-testid': 'class-involvement' }, `GGO ${study.classInvolvementPercent.ggo.toFixed(2)} % · cons. ${study.classInvolvementPercent.consolidation.toFixed(2)} %`)
          : false,
      ),
      h('td', {}, study.reviewStatus ? h('span', { class: `badge badge-review-${study.reviewStatus}`, 'data-testid': 'review-status' }, REVIEW_TEXT[study.reviewStatus]) : ''),
    );
    const fragment = document.createDocumentFragment();
    fragment.append(row, seriesRow);
    async function toggle(): Promise<void> {
      seriesRow.hidden = !seriesRow.hidden;
      if (seriesRow.hidden || seriesCell.childElementCount > 0) return;
      seriesCell.textContent = 'Loading series…';
      try {
        const series = await api.series(endpointId, study.studyInstanceUID);
        seriesCell.replaceChildren(seriesList(endpointId, study, series));
      } catch (error) {
        seriesCell.textContent = '';
        showError(error, 'Listing series');
      }
    }
    return fragment as unknown as HTMLElement;
  }

  function seriesList(endpointId: string, study: StudySummary, series: SeriesSummary[]): HTMLElement {
    if (series.length === 0) return h('p', { class: 'muted' }, 'No series.');
    return h(
      'ul',
      { class: 'series-list' },
      ...series.map((s) => {
        const href = `#/viewer?${new URLSearchParams({ endpoint: endpointId, study: study.studyInstanceUID, series: s.seriesInstanceUID })}`;
        const label = `${s.modality} #${s.seriesNumber || '?'} ${s.seriesDescription || ''} (${s.numberOfInstances} instances)`;
        return h('li', {}, s.modality === 'SEG' ? h('span', { class: 'muted' }, label) : h('a', { href, 'data-series': s.seriesInstanceUID }, label));
      }),
    );
  }

  void search();
  return () => {
    alive = false;
  };
}

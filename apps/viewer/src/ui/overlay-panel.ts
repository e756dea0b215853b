import type { Quantification } from '../api/types';
import type { OverlayState } from '../state/overlay-state';
import { h } from './dom';

/** Per-segment toggles and opacity sliders, grouped by SEG, plus the quantification of our SEG. */
export function overlayPanel(state: OverlayState | undefined): HTMLElement {
  if (!state || state.segments.length === 0) return h('p', { class: 'muted', 'data-testid': 'no-overlays' }, 'No segmentation in the PACS references this series.');
  const groups = new Map<string, HTMLElement>();
  for (const segment of state.segments) {
    let group = groups.get(segment.seg.segSopInstanceUID);
    if (!group) {
      const title = segment.seg.ours ? `covseg ${segment.seg.quantification?.modelVersion ?? ''}` : segment.seg.manufacturer || 'other tool';
      const status = segment.seg.superseded ? ' (superseded)' : '';
      group = h('fieldset', { class: 'seg-group', 'data-testid': 'seg-group' }, h('legend', {}, `${title}: ${segment.seg.seriesDescription || 'SEG'}${status}`));
      groups.set(segment.seg.segSopInstanceUID, group);
    }
    const [r, g, b] = segment.color;
    const checkbox = h('input', { type: 'checkbox', checked: segment.visible, 'aria-label': `Show ${segment.label}` });
    checkbox.addEventListener('change', () => state.update(segment.key, { visible: checkbox.checked }));
    const slider = h('input', { type: 'range', min: 0, max: 100, value: Math.round(segment.opacity * 100), 'aria-label': `Opacity of ${segment.label}` });
    slider.addEventListener('input', () => state.update(segment.key, { opacity: Number(slider.value) / 100 }));
    group.appendChild(
      h('div', { class: 'segment', 'data-testid': 'segment-row' },
        h('label', {}, checkbox, h('span', { class: 'swatch', style: `background: rgb(${r} ${g} ${b})` }), segment.label),
        slider),
    );
  }
  // The newest of our results: not superseded, and figures from its SR ahead of figures counted from a SEG.
  const ours = state.segments.filter((s) => s.seg.ours && s.seg.quantification && !s.seg.superseded).map((s) => s.seg.quantification!);
  const quantified = ours.find((q) => q.source === 'sr') ?? ours[0] ?? state.segments.find((s) => s.seg.ours && s.seg.quantification)?.seg.quantification;
  return h('div', {}, ...groups.values(), quantified ? quantificationPanel(quantified) : false);
}

/** Infection and lung volume in mL, % involvement, and the model that produced them. */
export function quantificationPanel(q: Quantification): HTMLElement {
  const row = (label: string, value: string) => h('tr', {}, h('th', {}, label), h('td', {}, value));
  return h(
    'section',
    { class: 'quantification', 'data-testid': 'quantification' },
    h('h3', {}, 'Quantification'),
    h(
      'table',
      {},
      row('Infection', `${q.infectionMl.toFixed(1)} mL`),
      row('Lungs', q.lungMl === null ? 'not segmented' : `${q.lungMl.toFixed(1)} mL`),
      row('Involvement', q.involvementPercent === null ? '—' : `${q.involvementPercent.toFixed(2)} %`),
      ...(['right', 'left'] as const).flatMap((side) => {
        const r = q[side];
        return r ? [row(`${side === 'right' ? 'Right' : 'Left'} lung`, `${r.infectionMl.toFixed(1)} / ${r.lungMl.toFixed(1)} mL, ${r.involvementPercent.toFixed(2)} %`)] : [];
      }),
      row('Source', q.source === 'sr' ? 'measurement report (SR) in the PACS' : 'counted from the SEG'),
      row('Model', `${q.modelName} ${q.modelVersion}`),
    ),
    q.modelTrained ? false : h('p', { class: 'error', 'data-testid': 'untrained-warning' }, 'This SEG comes from an UNTRAINED model: the figures are meaningless.'),
  );
}

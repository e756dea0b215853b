import type { ClassesFigures, InfectionClass, OverlaySeg, Quantification } from '../api/types';
import type { OverlayState } from '../state/overlay-state';
import { h } from './dom';

/** Per-segment toggles and opacity sliders, grouped by SEG, plus the quantification of our SEG. */
export function overlayPanel(state: OverlayState | undefined): HTMLElement {
  if (!state || state.segments.length === 0) return h('p', { class: 'muted', 'data-testid': 'no-overlays' }, 'No segmentation in the PACS references this series.');
  const groups = new Map<string, HTMLElement>();
  for (const segment of state.segments) {
    let group = groups.get(segment.seg.segSopInstanceUID);
    if (!group) {
      const seg = segment.seg;
      const title = seg.kind === 'correction' ? 'Corrected' : seg.ours ? `AI (covseg ${seg.quantification?.modelVersion ?? ''})` : seg.manufacturer || 'other tool';
      group = h(
        'fieldset',
        { class: `seg-group${seg.hiddenByDefault ? ' superseded' : ''}`, 'data-testid': 'seg-group', 'data-kind': seg.kind, 'data-review': seg.review?.status ?? 'none', 'data-seg': seg.segSopInstanceUID },
        // A correction's SeriesDescription already says "Corrected: …".
        h('legend', {}, seg.kind === 'correction' ? seg.seriesDescription || title : `${title}: ${seg.seriesDescription || 'SEG'}`),
        reviewLine(seg),
      );
      groups.set(segment.seg.segSopInstanceUID, group);
    }
    const [r, g, b] = segment.color;
    const checkbox = h('input', { type: 'checkbox', checked: segment.visible, 'aria-label': `Show ${segment.label}` });
    checkbox.addEventListener('change', () => state.update(segment.key, { visible: checkbox.checked }));
    const slider = h('input', { type: 'range', min: 0, max: 100, value: Math.round(segment.opacity * 100), 'aria-label': `Opacity of ${segment.label}` });
    slider.addEventListener('input', () => state.update(segment.key, { opacity: Number(slider.value) / 100 }));
    // The union of a multi-class result says so: its voxels are the GGO and consolidation rows below it.
    const label = segment.unionOfClasses ? `${segment.label} (all classes)` : segment.label;
    group.appendChild(
      h('div', { class: 'segment', 'data-testid': 'segment-row', ...(segment.infectionClass ? { 'data-infection-class': segment.infectionClass } : {}) },
        h('label', {}, checkbox, h('span', { class: 'swatch', style: `background: rgb(${r} ${g} ${b})` }), label),
        slider),
    );
  }
  // The figures of what a reader sees: a visible correction first, then the visible AI result.
  const rank = (s: (typeof state.segments)[number]) => (s.visible ? 4 : 0) + (s.seg.kind === 'correction' ? 2 : s.seg.ours ? 1 : 0);
  const primary = [...state.segments].filter((s) => s.seg.quantification).sort((a, b) => rank(b) - rank(a))[0]?.seg;
  return h('div', {}, ...groups.values(), primary?.quantification ? quantificationPanel(primary.quantification, primary) : false);
}

/** "Rejected by …", "Accepted by …", "Corrected by …" under a SEG's legend; nothing for an unreviewed result. */
function reviewLine(seg: OverlaySeg): HTMLElement | false {
  if (seg.kind === 'correction') return h('p', { class: 'review-line' }, `Reader correction${seg.correctedBy ? ` by ${seg.correctedBy}` : ''}`);
  if (!seg.review) return seg.ours ? h('p', { class: 'review-line muted' }, 'AI result, not reviewed') : false;
  const verb = { accepted: 'Accepted', rejected: 'Rejected', corrected: 'Corrected' }[seg.review.status];
  return h('p', { class: `review-line review-${seg.review.status}`, 'data-testid': 'review-status' }, `${verb} by ${seg.review.reviewer}${seg.review.status === 'rejected' ? ' (hidden; tick to show)' : ''}`);
}

const CLASS_NAMES: Record<InfectionClass, string> = { ggo: 'Ground-glass opacity', consolidation: 'Consolidation' };

/** "12.3 mL, 4.56 %" of one class; the % is of the same lung region. */
const classText = (c: ClassesFigures[InfectionClass]) => `${c.volumeMl.toFixed(1)} mL${c.involvementPercent === null ? '' : `, ${c.involvementPercent.toFixed(2)} %`}`;

/**
 * The legend of a multi-class result: one swatch per class in its overlay colour (from the SEG), with the
 * class's volume and % of lung for both lungs and, when known, each lung.
 */
function classLegend(q: Quantification & { classes: ClassesFigures }, seg?: OverlaySeg): HTMLElement {
  const colorOf = (name: InfectionClass) => seg?.segments.find((s) => s.infectionClass === name)?.color;
  return h(
    'table',
    { class: 'class-legend', 'data-testid': 'class-legend' },
    ...(['ggo', 'consolidation'] as const).map((name) => {
      const color = colorOf(name);
      const sides = (['right', 'left'] as const).flatMap((side) => {
        const c = q[side]?.classes?.[name];
        return c ? [`${side === 'right' ? 'R' : 'L'} ${classText(c)}`] : [];
      });
      return h(
        'tbody',
        { 'data-testid': 'class-row', 'data-infection-class': name },
        h(
          'tr',
          {},
          h('th', {}, color ? h('span', { class: 'swatch', style: `background: rgb(${color[0]} ${color[1]} ${color[2]})` }) : false, CLASS_NAMES[name]),
          h('td', { 'data-testid': 'class-figures' }, classText(q.classes[name])),
        ),
        sides.length > 0 ? h('tr', {}, h('td', { class: 'muted class-sides', colspan: 2, 'data-testid': 'class-sides' }, sides.join(' · '))) : false,
      );
    }),
  );
}

/** Infection and lung volume in mL, % involvement, per class when the model has classes, and the model that produced them. */
export function quantificationPanel(q: Quantification, seg?: OverlaySeg): HTMLElement {
  const row = (label: string, value: string) => h('tr', {}, h('th', {}, label), h('td', {}, value));
  return h(
    'section',
    { class: 'quantification', 'data-testid': 'quantification' },
    h('h3', {}, seg?.kind === 'correction' ? 'Quantification (corrected)' : 'Quantification'),
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
    q.classes ? classLegend({ ...q, classes: q.classes }, seg) : false,
    q.modelTrained ? false : h('p', { class: 'error', 'data-testid': 'untrained-warning' }, 'This SEG comes from an UNTRAINED model: the figures are meaningless.'),
  );
}

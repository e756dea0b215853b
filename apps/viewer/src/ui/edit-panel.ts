import { api } from '../api/covseg-api';
import type { SliceMeta } from '../loaders/series-metadata';
import type { StackViewport } from '../rendering/stack-viewport';
import { MaskEditor } from '../state/mask-editor';
import type { OverlayState, SegmentEntry } from '../state/overlay-state';
import { session } from '../state/session';
import type { EditTool, PaintTarget } from '../tools/paint.tool';
import { h } from './dom';
import { showError, showInfo } from './toast';

export interface EditPanel {
  element: HTMLElement;
  /** The active editing tool, or undefined when the left button does window/level. */
  tool(): EditTool | undefined;
  setTool(tool: EditTool | undefined): void;
  /** What the paint tool drives. */
  target: PaintTarget;
  undo(): void;
  redo(): void;
  /** The edited segment's mask on a slice (for tests); undefined where it is empty and unedited. */
  maskOf(index: number): Uint8Array | undefined;
  destroy(): void;
}

export interface EditPanelOptions {
  state: OverlayState;
  viewport: StackViewport;
  slices: readonly SliceMeta[];
  endpointId: string;
  study: string;
  series: string;
  /** Reloads the overlays after a save or review (the new SEG and its figures then show). */
  reload: () => Promise<void>;
}

const DEFAULT_FILL_HU: [number, number] = [-800, 100];

/**
 * Correcting a result: pick a segment of any readable SEG, paint with Brush / Eraser (size in mm) or Fill
 * (grows inside a HU range from a click), Undo / Redo, then Save correction (a new SEG on the PACS),
 * or Accept / Reject the result as it is. Saving and reviewing need the reviewer role; for other users
 * the buttons stay visible but disabled, and the server refuses them anyway.
 */
export function editPanel(options: EditPanelOptions): EditPanel {
  const { state, viewport, slices } = options;
  // The union of a multi-class result is not edited directly (the server refuses it): its classes are.
  const editable = state.segments.filter((s) => s.seg.rows === slices[0]?.rows && s.seg.columns === slices[0]?.columns && !s.unionOfClasses);
  const editors = new Map<string, MaskEditor>();
  const unsubscribers: Array<() => void> = [];
  let tool: EditTool | undefined;
  let segment: SegmentEntry | undefined = preferredSegment(editable);
  let busy = false;

  const segmentSelect = h(
    'select',
    { 'aria-label': 'Segment to edit', 'data-testid': 'edit-segment' },
    ...editable.map((s) => h('option', { value: s.key, selected: s === segment }, `${groupTitle(s)}: ${s.label}`)),
  );
  segmentSelect.addEventListener('change', () => {
    segment = editable.find((s) => s.key === segmentSelect.value);
    render();
  });
  const toolButton = (name: EditTool, label: string, key: string) =>
    h('button', { type: 'button', 'data-tool': name, 'aria-pressed': 'false', title: `${label} (${key})`, onclick: () => setTool(tool === name ? undefined : name) }, label);
  const brush = toolButton('brush', 'Brush', 'b');
  const eraser = toolButton('eraser', 'Eraser', 'e');
  const fill = toolButton('fill', 'Fill', 'f');
  const size = h('input', { type: 'range', min: 1, max: 30, step: 0.5, value: 5, 'aria-label': 'Brush size (mm)' });
  const sizeText = h('span', { class: 'muted' }, '5 mm');
  size.addEventListener('input', () => (sizeText.textContent = `${size.value} mm`));
  const minHu = h('input', { type: 'number', value: DEFAULT_FILL_HU[0], step: 10, 'aria-label': 'Fill from HU', class: 'hu' });
  const maxHu = h('input', { type: 'number', value: DEFAULT_FILL_HU[1], step: 10, 'aria-label': 'Fill to HU', class: 'hu' });
  const undo = h('button', { type: 'button', title: 'Undo (ctrl+z)', onclick: () => doUndo() }, 'Undo');
  const redo = h('button', { type: 'button', title: 'Redo (ctrl+y, ctrl+shift+z)', onclick: () => doRedo() }, 'Redo');
  const save = h('button', { type: 'button', class: 'primary', onclick: () => void doSave() }, 'Save correction');
  const accept = h('button', { type: 'button', onclick: () => void doReview('accepted') }, 'Accept');
  const reject = h('button', { type: 'button', onclick: () => void doReview('rejected') }, 'Reject');
  const status = h('p', { class: 'muted edit-status', 'data-testid': 'edit-status', role: 'status' });
  const element = h(
    'section',
    { class: 'edit-panel', 'data-testid': 'edit-panel' },
    h('h3', {}, 'Review'),
    segmentSelect,
    h('div', { class: 'edit-tools', role: 'group', 'aria-label': 'Editing tools' }, brush, eraser, fill),
    h('label', { class: 'edit-size' }, 'Brush size', size, sizeText),
    h('label', { class: 'edit-hu' }, 'Fill HU', minHu, '…', maxHu),
    h('div', { class: 'edit-history' }, undo, redo),
    h('div', { class: 'edit-actions' }, save, accept, reject),
    status,
  );

  function editorFor(target: SegmentEntry): MaskEditor {
    let editor = editors.get(target.key);
    if (!editor) {
      const first = slices[0]!;
      editor = new MaskEditor(state.storeFor(target), first.rows, first.columns, first.pixelSpacing);
      unsubscribers.push(editor.subscribe(() => {
        viewport.requestOverlayRedraw();
        render();
      }));
      editors.set(target.key, editor);
    }
    return editor;
  }

  function setTool(next: EditTool | undefined): void {
    tool = segment ? next : undefined;
    // Painting a hidden segment would be painting blind: show it.
    if (tool && segment && (!segment.visible || state.allHidden)) {
      if (state.allHidden) state.toggleAll();
      state.update(segment.key, { visible: true });
    }
    render();
  }

  function render(): void {
    for (const button of [brush, eraser, fill]) {
      const pressed = button.dataset.tool === tool;
      button.setAttribute('aria-pressed', String(pressed));
      button.classList.toggle('active', pressed);
    }
    const editor = segment ? editors.get(segment.key) : undefined;
    const reviewer = session.canReview();
    const dirty = segment ? [...editors.entries()].some(([key, e]) => e.dirty && state.segments.find((s) => s.key === key)?.seg === segment!.seg) : false;
    undo.disabled = !editor?.canUndo;
    redo.disabled = !editor?.canRedo;
    save.disabled = busy || !reviewer || !dirty;
    accept.disabled = reject.disabled = busy || !reviewer || !segment;
    const why = reviewer ? '' : 'Saving, accepting and rejecting need the reviewer role';
    for (const button of [save, accept, reject]) button.title = why;
    if (!segment) status.textContent = 'No segment that can be edited on this series.';
    else if (!reviewer && !status.dataset.sticky) status.textContent = 'View only: your token may not sign off results.';
  }

  const target: PaintTarget = {
    toImage: (x, y) => viewport.clientToImage(x, y),
    beginStroke: (x, y, kind) => {
      if (!segment || viewport.index < 0) return;
      editorFor(segment).beginStroke(viewport.index, x, y, Number(size.value) / 2, kind === 'brush' ? 1 : 0);
    },
    continueStroke: (x, y) => {
      if (segment) editorFor(segment).continueStroke(x, y, Number(size.value) / 2, tool === 'eraser' ? 0 : 1);
    },
    endStroke: () => segment && editorFor(segment).endStroke(),
    fillAt: (x, y) => {
      const index = viewport.index;
      const stored = viewport.readStoredPixels();
      const meta = slices[index];
      if (!segment || !stored || !meta) return;
      const hu = new Float32Array(stored.length);
      for (let i = 0; i < stored.length; i++) hu[i] = stored[i]! * meta.rescaleSlope + meta.rescaleIntercept;
      const added = editorFor(segment).fill(index, x, y, hu, Number(minHu.value), Number(maxHu.value));
      if (added === 0) showInfo(`Fill: the clicked pixel is outside ${minHu.value} … ${maxHu.value} HU, or already in the segment`);
    },
  };

  function doUndo(): void {
    if (!segment) return;
    const index = editors.get(segment.key)?.undo();
    if (index !== undefined && index !== viewport.index) void viewport.show(index);
  }

  function doRedo(): void {
    if (!segment) return;
    const index = editors.get(segment.key)?.redo();
    if (index !== undefined && index !== viewport.index) void viewport.show(index);
  }

  async function doSave(): Promise<void> {
    if (!segment || busy) return;
    const seg = segment.seg;
    const edited = state.segments.filter((s) => s.seg === seg && editors.get(s.key)?.dirty);
    busy = true;
    status.textContent = 'Saving the correction to the PACS…';
    render();
    try {
      const saved = await api.saveCorrection({
        endpointId: options.endpointId,
        study: options.study,
        series: options.series,
        segSeriesInstanceUID: seg.segSeriesInstanceUID,
        segSopInstanceUID: seg.segSopInstanceUID,
        segments: edited.map((s) => ({ segmentNumber: s.segmentNumber, slices: state.encodeSegment(s, slices) })),
      });
      showInfo(saved.created ? `Correction saved to the PACS as a new SEG (${saved.changedVoxels} voxels changed)` : 'This correction was already on the PACS; nothing new was stored');
      await options.reload();
    } catch (error) {
      showError(error, 'Saving the correction');
      status.textContent = 'The correction was not saved; your edits are still here.';
    } finally {
      busy = false;
      render();
    }
  }

  async function doReview(decision: 'accepted' | 'rejected'): Promise<void> {
    if (!segment || busy) return;
    busy = true;
    render();
    try {
      await api.setReview({
        endpointId: options.endpointId,
        study: options.study,
        series: options.series,
        segSeriesInstanceUID: segment.seg.segSeriesInstanceUID,
        segSopInstanceUID: segment.seg.segSopInstanceUID,
        status: decision,
      });
      showInfo(decision === 'accepted' ? 'Result accepted' : 'Result rejected: it stays on the PACS but is hidden by default');
      await options.reload();
    } catch (error) {
      showError(error, decision === 'accepted' ? 'Accepting the result' : 'Rejecting the result');
    } finally {
      busy = false;
      render();
    }
  }

  const onKey = (event: KeyboardEvent) => {
    const origin = event.target as HTMLElement | null;
    if (origin && (origin.tagName === 'INPUT' || origin.tagName === 'TEXTAREA' || origin.tagName === 'SELECT') && (origin as HTMLInputElement).type !== 'range') return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === 'z') {
      if (event.shiftKey) doRedo();
      else doUndo();
      event.preventDefault();
    } else if ((event.ctrlKey || event.metaKey) && key === 'y') {
      doRedo();
      event.preventDefault();
    }
  };
  document.addEventListener('keydown', onKey);
  render();

  return {
    element,
    tool: () => tool,
    setTool,
    target,
    undo: doUndo,
    redo: doRedo,
    maskOf: (index) => (segment ? state.maskOf(segment, index) : undefined),
    destroy: () => {
      document.removeEventListener('keydown', onKey);
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}

/** Ours first: the newest correction, then the AI result, each on its infection segment (GGO for a multi-class result), among the visible ones. */
function preferredSegment(segments: readonly SegmentEntry[]): SegmentEntry | undefined {
  const rank = (s: SegmentEntry) => (s.visible ? 4 : 0) + (s.seg.kind === 'correction' ? 2 : s.seg.ours ? 1 : 0) + (s.segmentNumber === 1 || s.infectionClass === 'ggo' ? 0.5 : 0);
  return [...segments].sort((a, b) => rank(b) - rank(a))[0];
}

function groupTitle(segment: SegmentEntry): string {
  if (segment.seg.kind === 'correction') return 'Corrected';
  if (segment.seg.ours) return `AI ${segment.seg.quantification?.modelVersion ?? ''}`.trim();
  return segment.seg.manufacturer || 'other tool';
}

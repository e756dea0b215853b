import { api, dicomwebRoot } from '../api/covseg-api';
import { apiJson } from '../api/http-client';
import { imageIdOf, registerSlices, unregisterSlices, warmUpStreamWorker } from '../loaders/frame-loader';
import { parseSeriesMetadata, sliceKeyOf, type SliceMeta } from '../loaders/series-metadata';
import { StackViewport, type ViewState } from '../rendering/stack-viewport';
import { OverlayState } from '../state/overlay-state';
import { attachDragTools, type DragMode } from '../tools/drag.tool';
import { attachKeyboard } from '../tools/keyboard.tool';
import { attachPaintTool } from '../tools/paint.tool';
import { attachWheelScroll } from '../tools/stack-scroll.tool';
import { PRESETS } from '../tools/viewport-controls';
import { h, type Teardown } from './dom';
import type { ViewScope } from './router';
import { jobPanel } from './job-panel';
import { editPanel, type EditPanel } from './edit-panel';
import { overlayPanel } from './overlay-panel';
import { showError } from './toast';
import { installTestHooks } from './test-hooks';

/** How often the loading bar and count may be redrawn while slices arrive. */
const PROGRESS_MS = 250;

/**
 * `#/viewer?endpoint=ID&study=UID&series=UID`: the series in a stack viewport with every SEG that
 * references it, opened on the slice where the overlay shows most.
 */
export async function viewerView(container: HTMLElement, params: URLSearchParams, scope: ViewScope): Promise<Teardown> {
  const endpointId = params.get('endpoint') ?? '';
  const study = params.get('study') ?? '';
  const series = params.get('series') ?? '';
  if (!endpointId || !study || !series) {
    container.append(h('p', { class: 'error' }, 'This viewer link lacks endpoint, study or series.'));
    return () => undefined;
  }
  // Teardowns go to the router's scope, so leaving mid-load undoes them at once.
  const teardowns = scope;
  let mode: DragMode = 'wl';
  const element = h('div', { class: 'viewport-element', 'data-testid': 'viewport', tabindex: 0 });
  const corner = {
    topLeft: h('div', { class: 'corner top-left', 'data-testid': 'corner-slice' }),
    topRight: h('div', { class: 'corner top-right' }),
    bottomLeft: h('div', { class: 'corner bottom-left', 'data-testid': 'corner-wl' }),
    bottomRight: h('div', { class: 'corner bottom-right', 'data-testid': 'corner-loading' }),
  };
  const loadingBar = h('progress', { class: 'loading-bar', max: 1, value: 0 });
  const slider = h('input', { type: 'range', min: 0, max: 0, value: 0, class: 'slice-slider', 'aria-label': 'Slice', 'data-testid': 'slice-slider' });
  const overlayHost = h('div', { class: 'overlay-host', 'data-testid': 'overlay-panel' }, h('p', { class: 'muted' }, 'Loading overlays…'));
  const editHost = h('div', { class: 'edit-host' });
  const modeButtons = (['wl', 'zoom', 'pan'] as const).map((m) =>
    h('button', { type: 'button', class: m === mode ? 'active' : '', 'data-mode': m, onclick: () => setMode(m) }, { wl: 'W/L', zoom: 'Zoom', pan: 'Pan' }[m]),
  );
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('button', { type: 'button', onclick: () => viewport.setVoi(PRESETS.lung.windowWidth, PRESETS.lung.windowCenter), title: 'Lung window (1)' }, 'Lung'),
    h('button', { type: 'button', onclick: () => viewport.setVoi(PRESETS.mediastinum.windowWidth, PRESETS.mediastinum.windowCenter), title: 'Mediastinum window (2)' }, 'Mediastinum'),
    h('span', { class: 'separator' }),
    ...modeButtons,
    h('button', { type: 'button', onclick: () => viewport.reset(), title: 'Reset (r)' }, 'Reset'),
    h('button', { type: 'button', onclick: () => overlays?.toggleAll(), title: 'Overlays on/off (o)' }, 'Overlays'),
  );
  const jobs = jobPanel(endpointId, study, series, () => void loadOverlays());
  teardowns.push(jobs.destroy);
  container.append(
    h(
      'section',
      { class: 'viewer-layout' },
      h('div', { class: 'viewer-main' }, toolbar, h('div', { class: 'viewport-frame' }, element, corner.topLeft, corner.topRight, corner.bottomLeft, corner.bottomRight, loadingBar), slider),
      h('aside', { class: 'viewer-side' }, h('h3', {}, 'Overlays'), overlayHost, editHost, jobs.element),
    ),
  );
  // Enable cornerstone only once the element is in the document: it sizes its canvas from the element.
  const viewport = new StackViewport(element);
  teardowns.push(() => viewport.destroy());

  let slices: SliceMeta[] = [];
  let overlays: OverlayState | undefined;
  let edit: EditPanel | undefined;
  let unsubscribeOverlays: (() => void) | undefined;
  teardowns.push(() => {
    edit?.destroy();
    unsubscribeOverlays?.();
  });

  function setMode(next: DragMode): void {
    mode = next;
    for (const button of modeButtons) button.classList.toggle('active', button.dataset.mode === next);
  }

  function renderCorners(state: ViewState): void {
    const slice = slices[state.index];
    const position = slice?.position ? `${slice.location.toFixed(1)} mm` : '';
    corner.topLeft.textContent = `Slice ${state.index + 1}/${state.count}${position ? `  ·  ${position}` : ''}`;
    corner.bottomLeft.textContent = `W ${Math.round(state.windowWidth)}  L ${Math.round(state.windowCenter)}`;
    corner.topRight.textContent = `Zoom ${(state.scale * 100).toFixed(0)}%`;
    slider.value = String(state.index);
  }

  async function loadOverlays(jump = true): Promise<void> {
    try {
      const response = await api.overlays(endpointId, study, series);
      if (scope.closed) return;
      for (const failure of response.errors) showError(failure.message, `SEG ${failure.segSopInstanceUID} cannot be shown`);
      const byKey = new Map(slices.map((s, i) => [sliceKeyOf(s.sopInstanceUID, s.frameNumber), i]));
      overlays = new OverlayState(response, byKey, (slices[0]?.rows ?? 0) * (slices[0]?.columns ?? 0));
      const state = overlays;
      // A reload (after a job, a save or a review) replaces the state and the edit panel: undo the old ones.
      unsubscribeOverlays?.();
      edit?.destroy();
      unsubscribeOverlays = state.subscribe(() => viewport.redraw());
      viewport.setOverlaySource((index) => state.masksFor(index));
      overlayHost.replaceChildren(overlayPanel(state));
      edit = editPanel({ state, viewport, slices, endpointId, study, series, reload: () => loadOverlays(false) });
      editHost.replaceChildren(edit.element);
      // Deep link and finished job alike: go where the SEG shows most.
      const best = jump ? state.bestSlice() : undefined;
      if (best !== undefined) await viewport.show(best);
    } catch (error) {
      if (scope.closed) return;
      overlayHost.replaceChildren(h('p', { class: 'error' }, 'Overlays could not be loaded.'));
      showError(error, 'Loading overlays');
    }
  }

  teardowns.push(installTestHooks(viewport, () => slices, () => overlays, () => edit));
  teardowns.push(viewport.onRendered(renderCorners));
  // The loading bar and count follow the slices at most every PROGRESS_MS: redrawn for each of a series
  // stream's 133 slices, they cost the page (style, paint, commit, software compositing under
  // --disable-gpu) a quarter of its CPU while the stream ran (bench/viewer.bench.ts traces). The end shows at once.
  let progress: { loaded: number; total: number } | undefined;
  let progressTimer: ReturnType<typeof setTimeout> | undefined;
  const showProgress = () => {
    progressTimer = undefined;
    if (!progress) return;
    const { loaded, total } = progress;
    loadingBar.value = total ? loaded / total : 0;
    loadingBar.hidden = loaded >= total;
    corner.bottomRight.textContent = loaded >= total ? '' : `Loading ${loaded}/${total}`;
  };
  teardowns.push(() => clearTimeout(progressTimer));
  viewport.setHandlers({
    onProgress: (loaded, total) => {
      progress = { loaded, total };
      if (loaded >= total) {
        clearTimeout(progressTimer);
        showProgress();
      } else progressTimer ??= setTimeout(showProgress, PROGRESS_MS);
    },
    onLoadError: (index, error) => showError(error, `Slice ${index + 1}`),
  });
  teardowns.push(
    attachWheelScroll(element, viewport),
    attachDragTools(element, viewport, () => (edit?.tool() ? 'none' : mode)),
    attachPaintTool(element, () => edit?.tool(), {
      toImage: (x, y) => edit?.target.toImage(x, y),
      beginStroke: (x, y, tool) => edit?.target.beginStroke(x, y, tool),
      continueStroke: (x, y) => edit?.target.continueStroke(x, y),
      endStroke: () => edit?.target.endStroke(),
      fillAt: (x, y) => edit?.target.fillAt(x, y),
    }),
  );
  const toolKeys: Record<string, 'brush' | 'eraser' | 'fill'> = { b: 'brush', e: 'eraser', f: 'fill' };
  teardowns.push(
    attachKeyboard(document, viewport, (key) => {
      if (key === 'o') return (overlays?.toggleAll(), true);
      if (edit && toolKeys[key]) return (edit.setTool(edit.tool() === toolKeys[key] ? undefined : toolKeys[key]), true);
      if (edit && key === 'Escape') return (edit.setTool(undefined), true);
      return false;
    }),
  );
  const onSlider = () => void viewport.show(Number(slider.value));
  slider.addEventListener('input', onSlider);

  // The series-stream worker's module loads while the metadata is fetched.
  warmUpStreamWorker();
  try {
    const metadata = await apiJson<Array<Record<string, { vr: string; Value?: unknown[] }>>>(
      `${dicomwebRoot(endpointId)}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/metadata`,
      { headers: { Accept: 'application/dicom+json' } },
    );
    slices = parseSeriesMetadata(metadata, dicomwebRoot(endpointId), study, series);
  } catch (error) {
    if (!scope.closed) showError(error, 'Opening series');
    overlayHost.replaceChildren();
    return () => undefined;
  }
  if (scope.closed) return () => undefined;
  registerSlices(slices);
  teardowns.push(() => unregisterSlices(slices));
  slider.max = String(slices.length - 1);
  viewport.setStack(slices.map(imageIdOf), { initialVoi: { ...PRESETS.lung } });
  // The middle slice first, so an image is on screen fast; the overlays request (server-side SEG reads)
  // starts only then, so it does not compete with the first frame, and jumps to where the SEG shows.
  await viewport.show(Math.floor(slices.length / 2));
  if (scope.closed) return () => undefined;
  element.focus();
  await loadOverlays();
  // Marks the end of the opening sequence (first image, overlays, jump to the SEG) for tests and the bench.
  element.dataset.ready = 'true';
  return () => slider.removeEventListener('input', onSlider);
}

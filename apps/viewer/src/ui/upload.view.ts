import { api } from '../api/covseg-api';
import type { SegmentImageResult } from '../api/types';
import { h, type Teardown } from './dom';
import { showError } from './toast';

const OVERLAY_COLOR: readonly [number, number, number] = [255, 64, 32];

/** Drop or choose a PNG, JPEG, TIFF, WebP or single-frame DICOM slice; shows the image, its mask overlay and the infected fraction. */
export function uploadView(container: HTMLElement): Teardown {
  const input = h('input', { type: 'file', accept: '.png,.jpg,.jpeg,.tif,.tiff,.webp,.dcm,image/png,image/jpeg,image/tiff,image/webp,application/dicom', 'data-testid': 'upload-input' });
  const drop = h('div', { class: 'drop-zone', 'data-testid': 'drop-zone' }, h('p', {}, 'Drop a PNG, JPEG, TIFF, WebP or single-frame DICOM slice here, or '), input);
  const status = h('p', { class: 'muted', 'data-testid': 'upload-status' });
  const result = h('div', { class: 'upload-result', 'data-testid': 'upload-result' });
  container.append(h('section', { class: 'page' }, h('h1', {}, 'Segment one slice'), drop, status, result));

  const onDragOver = (event: DragEvent) => {
    event.preventDefault();
    drop.classList.add('hover');
  };
  const onDragLeave = () => drop.classList.remove('hover');
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    drop.classList.remove('hover');
    const file = event.dataTransfer?.files[0];
    if (file) void submit(file);
  };
  const onChange = () => {
    const file = input.files?.[0];
    if (file) void submit(file);
  };
  drop.addEventListener('dragover', onDragOver);
  drop.addEventListener('dragleave', onDragLeave);
  drop.addEventListener('drop', onDrop);
  input.addEventListener('change', onChange);

  async function submit(file: File): Promise<void> {
    status.textContent = `Segmenting ${file.name}…`;
    status.classList.remove('error');
    result.replaceChildren();
    try {
      const answer = await api.segmentImage(file);
      status.textContent = '';
      result.replaceChildren(await renderResult(answer, file.name));
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
      status.classList.add('error');
      showError(error, `Segmenting ${file.name}`);
    } finally {
      input.value = '';
    }
  }

  return () => {
    drop.removeEventListener('dragover', onDragOver);
    drop.removeEventListener('dragleave', onDragLeave);
    drop.removeEventListener('drop', onDrop);
    input.removeEventListener('change', onChange);
  };
}

async function renderResult(answer: SegmentImageResult, name: string): Promise<HTMLElement> {
  const [image, mask] = await Promise.all([loadImage(answer.imagePng), loadImage(answer.maskPng)]);
  const canvas = h('canvas', { width: answer.width, height: answer.height, class: 'upload-canvas', 'data-testid': 'upload-canvas' });
  const context = canvas.getContext('2d') as CanvasRenderingContext2D;
  context.drawImage(image, 0, 0);
  const maskCanvas = document.createElement('canvas');
  maskCanvas.width = answer.width;
  maskCanvas.height = answer.height;
  const maskContext = maskCanvas.getContext('2d') as CanvasRenderingContext2D;
  maskContext.drawImage(mask, 0, 0);
  const maskPixels = maskContext.getImageData(0, 0, answer.width, answer.height);
  const composed = context.getImageData(0, 0, answer.width, answer.height);
  let overlayPixels = 0;
  for (let i = 0; i < maskPixels.data.length; i += 4) {
    if (maskPixels.data[i] < 128) continue;
    overlayPixels++;
    // 50% blend of the grey image and the overlay colour.
    composed.data[i] = (composed.data[i] + OVERLAY_COLOR[0]) >> 1;
    composed.data[i + 1] = (composed.data[i + 1] + OVERLAY_COLOR[1]) >> 1;
    composed.data[i + 2] = (composed.data[i + 2] + OVERLAY_COLOR[2]) >> 1;
  }
  context.putImageData(composed, 0, 0);
  canvas.dataset.overlayPixels = String(overlayPixels);
  const base = name.replace(/\.[^.]+$/, '');
  return h(
    'div',
    {},
    h('p', { 'data-testid': 'infected-fraction' }, `Infected fraction: ${(answer.infectedFraction * 100).toFixed(2)} % of the image (${answer.modelName} ${answer.modelVersion})`),
    answer.classFractions
      ? h('p', { class: 'muted', 'data-testid': 'class-fractions' }, `Ground-glass opacity ${(answer.classFractions.ggo * 100).toFixed(2)} %, consolidation ${(answer.classFractions.consolidation * 100).toFixed(2)} % of the image`)
      : false,
    canvas,
    h('div', { class: 'row' },
      h('a', { href: canvas.toDataURL('image/png'), download: `${base}-overlay.png`, class: 'button' }, 'Download overlay PNG'),
      h('a', { href: answer.maskPng, download: `${base}-mask.png`, class: 'button' }, 'Download mask PNG')),
  );
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('Showing the segmentation result failed: the server sent an unreadable image'));
    image.src = src;
  });
}

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { EvaluationInputError } from '../errors';
import { decodeGrayImage, encodePng } from '../image-io/gray-image-io';
import { decodeLabelMask } from '../image-io/label-mask-io';
import { INFECTION_CLASSES, type InfectionClass } from '../inference/model-contract';
import type { SegmentationModel } from '../inference/segmentation-model';
import { type Confusion, confusion, type DatasetMetrics, overlapMetrics, type OverlapMetrics, summarizeMetrics } from '../metrics/metrics';
import { segmentGrayImage } from '../pipeline/segment-gray-image';
import { composeSideBySide } from './side-by-side';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp'];

export interface EvaluationOptions {
  imagesDir: string;
  masksDir: string;
  /** Where the side-by-side PNGs go; none written when absent. */
  outDir?: string;
  /**
   * Masks are class labels (palette or grey PNG: 0 background, 1 GGO, 2 consolidation) and the model
   * must be multi-class: adds per-class figures. The union figures are computed as for binary masks.
   */
  multiclass?: boolean;
}

export interface ImageEvaluation extends OverlapMetrics {
  image: string;
  mask: string;
  width: number;
  height: number;
  confusion: Confusion;
  /** With `multiclass`: per-class confusion and metrics of this image. */
  classes?: Record<InfectionClass, OverlapMetrics & { confusion: Confusion }>;
}

export interface EvaluationReport {
  summary: DatasetMetrics;
  /** With `multiclass`: per-class summaries over all images, same conventions as `summary`. */
  classes?: Record<InfectionClass, DatasetMetrics>;
  images: ImageEvaluation[];
}

function listImages(dir: string, what: string): Map<string, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EvaluationInputError(`Evaluation failed: ${what} folder does not exist: ${dir}`);
  const byStem = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const ext = extname(name).toLowerCase();
    if (!IMAGE_EXTENSIONS.includes(ext)) continue;
    const stem = basename(name, extname(name));
    if (byStem.has(stem)) throw new EvaluationInputError(`Evaluation failed: two ${what} files share the basename "${stem}" in ${dir}`);
    byStem.set(stem, join(dir, name));
  }
  return byStem;
}

/**
 * Scores a model on PNG/JPEG/TIFF/WebP slices against masks matched by basename (image 3.jpg ↔ mask 3.png),
 * through `segmentGrayImage`, the same path as `POST /api/segment-image`. Masks are binarised at 128;
 * with `multiclass` they are class labels (see EvaluationOptions) and the union is every non-zero label.
 * @throws EvaluationInputError for missing folders/masks, size mismatches, a label mask that cannot be
 *         read, or `multiclass` with a binary model.
 */
export async function evaluateFolder(model: SegmentationModel, options: EvaluationOptions, onImage?: (result: ImageEvaluation) => void): Promise<EvaluationReport> {
  if (options.multiclass && !model.multiClass) {
    throw new EvaluationInputError(`Evaluation failed: --multiclass needs a multi-class model (covseg.classes), but ${model.name} ${model.version} is binary: ${model.path}`);
  }
  const images = listImages(options.imagesDir, 'images');
  const masks = listImages(options.masksDir, 'masks');
  if (images.size === 0) throw new EvaluationInputError(`Evaluation failed: no PNG/JPEG/TIFF/WebP images in ${options.imagesDir}`);
  const missing = [...images.keys()].filter((stem) => !masks.has(stem));
  if (missing.length > 0) throw new EvaluationInputError(`Evaluation failed: no mask in ${options.masksDir} for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });

  const results: ImageEvaluation[] = [];
  for (const [stem, imagePath] of images) {
    const maskPath = masks.get(stem)!;
    const image = await decodeGrayImage(readFileSync(imagePath));
    const maskImage = options.multiclass ? await readLabelMask(maskPath) : await decodeGrayImage(readFileSync(maskPath));
    if (maskImage.width !== image.width || maskImage.height !== image.height) {
      throw new EvaluationInputError(`Evaluation failed: mask ${maskPath} is ${maskImage.width} x ${maskImage.height}, image ${imagePath} is ${image.width} x ${image.height}`);
    }
    // Binary: white is infection. Labels: the union of the classes is infection.
    const labels = 'labels' in maskImage ? maskImage.labels : undefined;
    const truth = 'labels' in maskImage ? maskImage.labels.map((v) => (v !== 0 ? 1 : 0)) : maskImage.pixels.map((v) => (v >= 128 ? 1 : 0));
    const { mask } = await segmentGrayImage(model, image);
    const c = confusion(mask, truth);
    const result: ImageEvaluation = { image: imagePath, mask: maskPath, width: image.width, height: image.height, confusion: c, ...overlapMetrics(c) };
    if (labels) result.classes = classMetrics(mask, labels);
    results.push(result);
    onImage?.(result);
    if (options.outDir) {
      const panel = composeSideBySide(image, truth, mask);
      writeFileSync(join(options.outDir, `${stem}.png`), await encodePng(panel.rgb, panel.width, panel.height, 3));
    }
  }
  return {
    summary: summarizeMetrics(results.map((r) => r.confusion)),
    ...(options.multiclass
      ? { classes: Object.fromEntries(INFECTION_CLASSES.map((name) => [name, summarizeMetrics(results.map((r) => r.classes![name].confusion))])) as Record<InfectionClass, DatasetMetrics> }
      : {}),
    images: results,
  };
}

async function readLabelMask(path: string) {
  try {
    return await decodeLabelMask(readFileSync(path), INFECTION_CLASSES.length);
  } catch (cause) {
    throw new EvaluationInputError(`Evaluation failed: mask ${path} is not a class-label mask (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}

/** Per class (label = class index + 1): the prediction's pixels of that label against the truth's. */
function classMetrics(prediction: Uint8Array, truth: Uint8Array): NonNullable<ImageEvaluation['classes']> {
  const entries = INFECTION_CLASSES.map((name, index) => {
    const label = index + 1;
    const c = confusion(
      prediction.map((v) => (v === label ? 1 : 0)),
      truth.map((v) => (v === label ? 1 : 0)),
    );
    return [name, { confusion: c, ...overlapMetrics(c) }] as const;
  });
  return Object.fromEntries(entries) as NonNullable<ImageEvaluation['classes']>;
}

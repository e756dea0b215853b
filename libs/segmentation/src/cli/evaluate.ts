import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { EvaluationInputError } from '../errors';
import { decodeGrayImage, encodePng } from '../image-io/gray-image-io';
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
}

export interface ImageEvaluation extends OverlapMetrics {
  image: string;
  mask: string;
  width: number;
  height: number;
  confusion: Confusion;
}

export interface EvaluationReport {
  summary: DatasetMetrics;
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
 * through `segmentGrayImage`, the same path as `POST /api/segment-image`. Masks are binarised at 128.
 * @throws EvaluationInputError for missing folders/masks or size mismatches.
 */
export async function evaluateFolder(model: SegmentationModel, options: EvaluationOptions, onImage?: (result: ImageEvaluation) => void): Promise<EvaluationReport> {
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
    const maskImage = await decodeGrayImage(readFileSync(maskPath));
    if (maskImage.width !== image.width || maskImage.height !== image.height) {
      throw new EvaluationInputError(`Evaluation failed: mask ${maskPath} is ${maskImage.width} x ${maskImage.height}, image ${imagePath} is ${image.width} x ${image.height}`);
    }
    const truth = maskImage.pixels.map((v) => (v >= 128 ? 1 : 0));
    const { mask } = await segmentGrayImage(model, image);
    const c = confusion(mask, truth);
    const result: ImageEvaluation = { image: imagePath, mask: maskPath, width: image.width, height: image.height, confusion: c, ...overlapMetrics(c) };
    results.push(result);
    onImage?.(result);
    if (options.outDir) {
      const panel = composeSideBySide(image, truth, mask);
      writeFileSync(join(options.outDir, `${stem}.png`), await encodePng(panel.rgb, panel.width, panel.height, 3));
    }
  }
  return { summary: summarizeMetrics(results.map((r) => r.confusion)), images: results };
}

import { ModelContractError } from '../errors';

/** The infection classes of a multi-class model, in label order (label = index + 1). */
export const INFECTION_CLASSES = ['ggo', 'consolidation'] as const;
export type InfectionClass = (typeof INFECTION_CLASSES)[number];
/** Voxel labels of the per-voxel infection array (docs/CONTRACTS.md §2, multi-class). */
export const INFECTION_LABEL_GGO = 1;
export const INFECTION_LABEL_CONSOLIDATION = 2;

/**
 * The preprocessing + ONNX metadata contract of docs/CONTRACTS.md §1-2, parsed and typed.
 * Training writes it into the ONNX `metadata_props`; serving reads it from there, so the two can
 * never drift apart silently.
 */
export interface ModelContract {
  name: string;
  version: string;
  /** S: the model input is N x C x S x S. */
  inputSize: number;
  /** C: 1 or 3 copies of the grey plane. */
  inputChannels: 1 | 3;
  /** HU window of step 1 (Hounsfield units). */
  windowCenter: number;
  windowWidth: number;
  framing: 'lung-bbox';
  /** Fraction of the lung bounding box side added on each side. */
  frameMargin: number;
  /** Minimum frame width and height in mm. */
  minFrameMm: number;
  /** Slices whose lung mask covers less than this (mm²) are not run through the model. */
  minLungAreaMm2: number;
  normalization: 'unit';
  /** A pixel is infection when `p >= threshold`. */
  threshold: number;
  /**
   * Volume path only: 3-D infection components smaller than this (mL) are dropped. Optional key
   * `covseg.min_component_ml`; 0 (off) when absent. Slice (2-D) paths never apply it.
   */
  minComponentMl: number;
  /**
   * `covseg.classes`: the infection classes of a multi-class model (`['ggo', 'consolidation']`, which
   * adds the graph output `consolidation`); undefined for a binary model (key absent).
   */
  classes?: readonly InfectionClass[];
  /**
   * `covseg.consolidation_threshold` (multi-class only): an infection pixel is consolidation when
   * `consolidation >= consolidationThreshold`, else ground-glass opacity.
   */
  consolidationThreshold?: number;
  trainingData: string;
  /** Parsed `covseg.cv_metrics` JSON (free-form object). */
  cvMetrics: Record<string, unknown>;
  trained: boolean;
}

const PREFIX = 'covseg.';

function requireKey(meta: ReadonlyMap<string, string>, key: string, source: string): string {
  const value = meta.get(PREFIX + key);
  if (value === undefined) {
    throw new ModelContractError(`Model metadata key ${PREFIX}${key} is missing: ${source}`, PREFIX + key);
  }
  return value;
}

function requireNumber(meta: ReadonlyMap<string, string>, key: string, source: string, check: (n: number) => boolean): number {
  const raw = requireKey(meta, key, source);
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new ModelContractError(`Model metadata key ${PREFIX}${key} has the invalid value "${raw}": ${source}`, PREFIX + key);
  }
  return n;
}

function requireOneOf<T extends string>(meta: ReadonlyMap<string, string>, key: string, source: string, allowed: readonly T[]): T {
  const raw = requireKey(meta, key, source);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ModelContractError(`Model metadata key ${PREFIX}${key} is "${raw}", expected one of ${allowed.join(', ')}: ${source}`, PREFIX + key);
  }
  return raw as T;
}

/**
 * The optional multi-class keys: both absent (binary), or `covseg.classes` = `ggo,consolidation` with a
 * `covseg.consolidation_threshold` in (0, 1]. Anything else is refused rather than read as binary: a
 * model that says it has classes but cannot be read that way must not silently lose them.
 */
function parseClasses(meta: ReadonlyMap<string, string>, source: string): Pick<ModelContract, 'classes' | 'consolidationThreshold'> {
  const raw = meta.get(`${PREFIX}classes`);
  if (raw === undefined) {
    if (meta.has(`${PREFIX}consolidation_threshold`)) {
      throw new ModelContractError(`Model metadata key ${PREFIX}consolidation_threshold is set but ${PREFIX}classes is missing: ${source}`, `${PREFIX}classes`);
    }
    return {};
  }
  const classes = raw.split(',').map((c) => c.trim());
  if (classes.length !== INFECTION_CLASSES.length || classes.some((c, i) => c !== INFECTION_CLASSES[i])) {
    throw new ModelContractError(`Model metadata key ${PREFIX}classes is "${raw}", expected "${INFECTION_CLASSES.join(',')}": ${source}`, `${PREFIX}classes`);
  }
  return {
    classes: INFECTION_CLASSES,
    consolidationThreshold: requireNumber(meta, 'consolidation_threshold', source, (n) => n > 0 && n <= 1),
  };
}

/**
 * Validates ONNX metadata_props against docs/CONTRACTS.md §2.
 * @param meta key → value, as read from the model file.
 * @param source the model path, for error messages.
 * @throws ModelContractError naming the first missing or invalid key.
 */
export function parseModelContract(meta: ReadonlyMap<string, string>, source: string): ModelContract {
  const cvRaw = requireKey(meta, 'cv_metrics', source);
  let cvMetrics: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(cvRaw);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not a JSON object');
    cvMetrics = parsed as Record<string, unknown>;
  } catch (cause) {
    throw new ModelContractError(`Model metadata key ${PREFIX}cv_metrics is not a JSON object: ${source}`, `${PREFIX}cv_metrics`, { cause });
  }
  return {
    name: requireKey(meta, 'name', source),
    version: requireKey(meta, 'version', source),
    inputSize: requireNumber(meta, 'input_size', source, (n) => Number.isInteger(n) && n >= 8 && n <= 4096),
    inputChannels: requireNumber(meta, 'input_channels', source, (n) => n === 1 || n === 3) as 1 | 3,
    windowCenter: requireNumber(meta, 'window_center', source, () => true),
    windowWidth: requireNumber(meta, 'window_width', source, (n) => n > 0),
    framing: requireOneOf(meta, 'framing', source, ['lung-bbox'] as const),
    frameMargin: requireNumber(meta, 'frame_margin', source, (n) => n >= 0 && n < 1),
    minFrameMm: requireNumber(meta, 'min_frame_mm', source, (n) => n >= 0),
    minLungAreaMm2: requireNumber(meta, 'min_lung_area_mm2', source, (n) => n >= 0),
    normalization: requireOneOf(meta, 'normalization', source, ['unit'] as const),
    threshold: requireNumber(meta, 'threshold', source, (n) => n > 0 && n <= 1),
    minComponentMl: meta.has(`${PREFIX}min_component_ml`) ? requireNumber(meta, 'min_component_ml', source, (n) => n >= 0) : 0,
    ...parseClasses(meta, source),
    trainingData: requireKey(meta, 'training_data', source),
    cvMetrics,
    trained: requireOneOf(meta, 'trained', source, ['trained', 'untrained'] as const) === 'trained',
  };
}

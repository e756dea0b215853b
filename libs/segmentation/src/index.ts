// Public API of @covseg/segmentation (docs/CONTRACTS.md §4). Typed arrays plus geometry only.
export {
  SegmentationError,
  ModelLoadError,
  ModelContractError,
  InferenceError,
  InvalidInputError,
  ImageDecodeError,
  ImageTooLargeError,
  EvaluationInputError,
} from './errors';
export {
  type ModelContract,
  parseModelContract,
  INFECTION_CLASSES,
  type InfectionClass,
  INFECTION_LABEL_GGO,
  INFECTION_LABEL_CONSOLIDATION,
} from './inference/model-contract';
export { readOnnxMetadataProps } from './inference/onnx-metadata';
export {
  SegmentationModel,
  type SegmentationModelOptions,
  type SharedSegmentationModel,
  type ExecutionProvider,
  EXECUTION_PROVIDERS,
  MODEL_INPUT_NAME,
  MODEL_OUTPUT_NAME,
  MODEL_CONSOLIDATION_OUTPUT_NAME,
  type ModelOutputs,
} from './inference/segmentation-model';
export { windowToUint8, buildWindowLut } from './preprocess/window';
export { resizeBilinear, type PixelRect } from './preprocess/resize';
export { computeLungFrame, type FramingParams, type PlaneSpacing } from './preprocess/frame';
export { writeModelInput } from './preprocess/model-input';
export { placeProbability, type ConsolidationPlane } from './postprocess/place-probability';
export {
  computeLungMask,
  type LungMask,
  type LungMaskOptions,
  type VolumeDims,
  type VolumeSpacing,
  LUNG_SIDE_NONE,
  LUNG_SIDE_RIGHT,
  LUNG_SIDE_LEFT,
} from './lung/lung-mask';
export { computeLungHulls } from './lung/lung-hull';
export {
  quantify,
  type Quantification,
  type RegionQuantification,
  type ClassQuantification,
  type InfectionClassesQuantification,
  type QuantifyOptions,
} from './quantify/quantify';
export { removeUnionComponentsSmallerThan3d } from './lung/labelled-components-3d';
export {
  confusion,
  dice,
  iou,
  precision,
  recall,
  specificity,
  overlapMetrics,
  summarizeMetrics,
  type Confusion,
  type OverlapMetrics,
  type DatasetMetrics,
} from './metrics/metrics';
export { segmentGrayImage, type GrayImage, type GrayImageSegmentation } from './pipeline/segment-gray-image';
export {
  segmentVolume,
  type CtVolumeInput,
  type SegmentVolumeOptions,
  type SegmentVolumeProgress,
  type SegmentVolumeTimings,
  type VolumeSegmentation,
} from './pipeline/segment-volume';
export { frameVolumeForTraining, type FramedVolume } from './pipeline/training-slices';
export { decodeGrayImage, encodePng, type ImageLimits } from './image-io/gray-image-io';
export { detectImageFormat, type ImageFormat } from './image-io/image-header';
export { annotateRgb } from './image-io/annotate-rgb';

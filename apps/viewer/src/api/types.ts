/**
 * Shapes of the server's JSON answers, as the viewer uses them. The viewer reaches the server only over
 * HTTP (STYLE.md), so these mirror the server DTOs instead of importing them.
 */

export type SegStatus = 'seg' | 'running' | 'none';

export type ReviewStatus = 'accepted' | 'rejected' | 'corrected';

/** `POST /api/corrections` answer. */
export interface Correction {
  id: string;
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  derivedFromSopInstanceUID: string;
  status: 'pending' | 'delivered';
  reviewer: string;
  changedVoxels: number;
  quantification: { infectionMl: number | null; lungMl: number | null; involvementPercent: number | null; segments: Array<{ segmentNumber: number; label: string; volumeMl: number }> };
  created: boolean;
}

export interface SaveCorrectionInput {
  endpointId: string;
  study: string;
  series: string;
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  segments: Array<{ segmentNumber: number; slices: Array<{ sopInstanceUID: string; frameNumber?: number; rle: string }> }>;
}

export interface StudySummary {
  studyInstanceUID: string;
  patientId: string;
  patientName: string;
  studyDate: string;
  accessionNumber: string;
  studyDescription: string;
  modalities: string[];
  segStatus: SegStatus;
  jobId?: string;
  /** ai: a result nobody reviewed; reviewed: accepted or corrected; rejected; null: no result. */
  reviewStatus: 'ai' | 'reviewed' | 'rejected' | null;
  involvementPercent: number | null;
  /** Multi-class results: % of lung of ground-glass opacity and consolidation; null otherwise (absent from older servers). */
  classInvolvementPercent?: { ggo: number; consolidation: number } | null;
}

export interface SeriesSummary {
  seriesInstanceUID: string;
  modality: string;
  seriesNumber: string;
  seriesDescription: string;
  numberOfInstances: number;
}

export interface OverlaySliceMask {
  /** SOP Instance UID of the source CT slice this mask lies on. */
  sopInstanceUID: string;
  /** The frame, 1-based, when the source is a multi-frame (Enhanced CT) instance; absent for a classic slice. */
  frameNumber?: number;
  /** Run lengths (alternating 0-runs and 1-runs, starting with 0) over rows x columns, base64 of uint32 LE. */
  rle: string;
}

export type InfectionClass = 'ggo' | 'consolidation';

export interface OverlaySegment {
  segmentNumber: number;
  label: string;
  /** Set when the segment's type code is ground-glass opacity or consolidation (a multi-class result). */
  infectionClass?: InfectionClass;
  color: [number, number, number];
  voxelCount: number;
  volumeMl: number;
  slices: OverlaySliceMask[];
}

/** Volume and % of the same lung region of one infection class. */
export interface ClassFigures {
  volumeMl: number;
  involvementPercent: number | null;
}

export type ClassesFigures = Record<InfectionClass, ClassFigures>;

export interface RegionFigures {
  infectionMl: number;
  lungMl: number;
  involvementPercent: number;
  classes?: ClassesFigures;
}

export interface Quantification {
  /** sr: read from our measurement report (SR); seg: counted from the SEG masks. */
  source: 'sr' | 'seg';
  srSopInstanceUID?: string;
  right?: RegionFigures;
  left?: RegionFigures;
  infectionMl: number;
  lungMl: number | null;
  involvementPercent: number | null;
  /** Multi-class results: ground-glass opacity and consolidation of both lungs (they add up to the infection). */
  classes?: ClassesFigures;
  modelName: string;
  modelVersion: string;
  /** False when the SEG says it came from an untrained model export. */
  modelTrained: boolean;
}

export interface OverlaySeg {
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  seriesDescription: string;
  manufacturer: string;
  ours: boolean;
  /** ai: our automatic SEG; correction: a reader-corrected SEG saved by covseg; other: any other tool. */
  kind: 'ai' | 'correction' | 'other';
  derivedFromSopInstanceUID: string | null;
  review: { status: ReviewStatus; reviewer: string; updatedAt: string } | null;
  correctedBy: string | null;
  hiddenByDefault: boolean;
  rows: number;
  columns: number;
  segments: OverlaySegment[];
  quantification: Quantification | null;
  /** A newer result of ours supersedes this one; hidden by default, selectable. */
  superseded: boolean;
}

export interface OverlaysResponse {
  seriesInstanceUID: string;
  voxelVolumeMm3: number;
  segs: OverlaySeg[];
  /** SEGs that reference the series but could not be read. */
  errors: Array<{ segSopInstanceUID: string; message: string }>;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Job {
  id: string;
  pacsEndpointId: string;
  studyInstanceUID: string;
  seriesInstanceUID?: string | null;
  requestedSeriesInstanceUID?: string | null;
  status: JobStatus;
  stage?: string | null;
  progress?: { slicesDone: number; slicesTotal: number };
  /** GET /api/jobs/:id only: jobs ahead (null unless queued) and the estimated seconds to finish. */
  queue?: { position: number | null; etaSeconds: number | null; workers: number };
  timings?: Record<string, number>;
  error?: { code: string; message: string } | null;
  createdAt?: string;
  finishedAt?: string | null;
  result?: unknown;
}

export interface SegmentImageResult {
  width: number;
  height: number;
  infectedFraction: number;
  /** Multi-class models only: fractions of the image that are ground-glass opacity and consolidation. */
  classFractions?: { ggo: number; consolidation: number };
  /** The 8-bit grey image the model saw, as a PNG data URL. */
  imagePng: string;
  /** The binary mask (0/255), same size, as a PNG data URL. */
  maskPng: string;
  modelName: string;
  modelVersion: string;
}

export const AUTH_TYPES = ['none', 'basic', 'bearer'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const RESULT_TRANSPORTS = ['stow', 'c-store'] as const;
/** How results go back to the PACS: STOW-RS to its base URL, or DIMSE C-STORE to its AE title, host and port. */
export type ResultTransport = (typeof RESULT_TRANSPORTS)[number];

/** `GET /api/pacs-endpoints` row (the server's PacsEndpointResponseDto). The secret is never sent, only `hasSecret`. */
export interface PacsEndpoint {
  id: string;
  name: string;
  /** null for a PACS reached over DIMSE only. */
  baseUrl: string | null;
  authType: AuthType;
  username?: string;
  hasSecret: boolean;
  timeoutMs: number;
  keyImages: boolean;
  /** false once an admin disabled it; it keeps its job history and takes no new jobs. */
  enabled: boolean;
  disabledAt?: string;
  dicomAeTitle?: string;
  dicomHost?: string;
  dicomPort?: number;
  resultTransport: ResultTransport;
  createdAt: string;
  updatedAt: string;
}

/** `POST /api/pacs-endpoints` body (CreatePacsEndpointDto). On PATCH, null clears a DIMSE field or the base URL. */
export interface PacsEndpointInput {
  name: string;
  baseUrl?: string | null;
  authType: AuthType;
  username?: string;
  /** Write-only; left out, the stored one is kept. */
  secret?: string;
  timeoutMs: number;
  keyImages?: boolean;
  dicomAeTitle?: string | null;
  dicomHost?: string | null;
  dicomPort?: number | null;
  resultTransport?: ResultTransport;
}

/** `PATCH /api/pacs-endpoints/:id` body (UpdatePacsEndpointDto): any field of the input, and `enabled`. */
export interface PacsEndpointUpdate extends Partial<PacsEndpointInput> {
  enabled?: boolean;
}

export interface ConnectionCheck {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
  /** Not run: nothing to probe (an empty PACS for WADO-RS, no base URL for DICOMweb); `error` says why. */
  skipped?: boolean;
}

/**
 * `POST /api/pacs-endpoints/:id/test`: one probe per DICOMweb service, and C-ECHO when the endpoint has a
 * DICOM AE title, host and port. An endpoint without a base URL gets qido/wado/stow `skipped` ("not probed").
 */
export interface ConnectionTest {
  qido: ConnectionCheck;
  wado: ConnectionCheck;
  stow: ConnectionCheck;
  echo?: ConnectionCheck;
}

/** `GET /api/worklist` row. */
export interface WorklistRow {
  jobId: string;
  pacsEndpointId: string;
  studyInstanceUID: string;
  seriesInstanceUID: string | null;
  patientId: string;
  studyDate: string;
  accessionNumber: string;
  studyDescription: string;
  outcome: 'new' | 'reused' | 'failed' | 'running' | 'queued' | 'cancelled';
  reason: string | null;
  involvementPercent: number | null;
  /** Multi-class results: % of lung of ground-glass opacity and consolidation; null otherwise (absent from older servers). */
  classInvolvementPercent?: { ggo: number; consolidation: number } | null;
  reviewStatus: 'ai' | 'reviewed' | 'rejected' | null;
  createdAt: string;
  finishedAt: string | null;
}

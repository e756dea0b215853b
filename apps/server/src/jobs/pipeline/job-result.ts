/** One infection class in one region (multi-class models). */
export interface ClassQuantificationResult {
  /** mL */
  volumeMl: number;
  /** class volume / lung volume of the same region x 100 */
  involvementPercent: number;
}

/** Ground-glass opacity and consolidation; they add up to the region's infection (the union). */
export interface InfectionClassesResult {
  ggo: ClassQuantificationResult;
  consolidation: ClassQuantificationResult;
}

/** Volumes of one region, as a job reports them. */
export interface RegionQuantificationResult {
  /** mL (the union of the classes for a multi-class model) */
  infectionVolumeMl: number;
  /** mL */
  lungVolumeMl: number;
  /** infection / lung x 100 */
  involvementPercent: number;
  /** Present only for a multi-class model's result. */
  classes?: InfectionClassesResult;
}

export interface JobQuantification extends RegionQuantificationResult {
  /** Patient's right lung. */
  right?: RegionQuantificationResult;
  /** Patient's left lung. */
  left?: RegionQuantificationResult;
}

/** How the series came from the PACS (a DICOMweb job that built a new result). */
export interface JobRetrieveResult {
  /** The transfer syntax the delivering WADO-RS retrieve asked for: 1.2.840.10008.1.2.1, or `*` (as stored). */
  requested: string;
  /** The stored syntax of the series' first instance, when it was looked up (RETRIEVE_TRANSFER_SYNTAX=auto). */
  storedTransferSyntaxUID?: string;
  /** Why the series was retrieved as stored after asking for a transcoded one. */
  transcodeFailed?: string;
  /** Instances per transfer syntax as they arrived (a PACS may answer another syntax than asked). */
  receivedTransferSyntaxes: Record<string, number>;
}

/** What a succeeded job stores in its `result` column (JobResultDto is its HTTP shape). */
export interface JobResult {
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  /** The TID 1500 report that measures the SEG; absent on results from before SRs existed. */
  srSeriesInstanceUID?: string;
  srSopInstanceUID?: string;
  /** none: a SEG and SR were stored by this job; database/pacs: an existing result was found there and returned. */
  reused: 'none' | 'database' | 'pacs';
  /** 1 for the first result of this model version on the series; n for the n-th (forced) one (jobs/result-series.ts). */
  run?: number;
  /** SOP Instance UIDs of our earlier reports this result supersedes (a forced or new-build re-run). */
  supersedes?: string[];
  /** Device UID of the model build that made the result (IHE AI Results provenance). */
  deviceUID?: string;
  /** Secondary Capture key images stored with the result (endpoint option). */
  keyImages?: number;
  slices?: number;
  /** Slices that went through the model; the others had too little lung (CONTRACTS §1) and are 0. */
  slicesInferred?: number;
  model: { name: string; version: string; trained: boolean };
  quantification: JobQuantification | null;
  segBytes?: number;
  /** Present when this job retrieved the series with WADO-RS. */
  retrieve?: JobRetrieveResult;
}

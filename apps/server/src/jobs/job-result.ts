/** Volumes of one region, as a job reports them. */
export interface RegionQuantificationResult {
  /** mL */
  infectionVolumeMl: number;
  /** mL */
  lungVolumeMl: number;
  /** infection / lung x 100 */
  involvementPercent: number;
}

export interface JobQuantification extends RegionQuantificationResult {
  /** Patient's right lung. */
  right?: RegionQuantificationResult;
  /** Patient's left lung. */
  left?: RegionQuantificationResult;
}

/** What a succeeded job stores in its `result` column (JobResultDto is its HTTP shape). */
export interface JobResult {
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  /** none: a SEG was stored by this job; database/pacs: an existing SEG was found there and returned. */
  reused: 'none' | 'database' | 'pacs';
  slices?: number;
  /** Slices that went through the model; the others had too little lung (CONTRACTS §1) and are 0. */
  slicesInferred?: number;
  model: { name: string; version: string; trained: boolean };
  quantification: JobQuantification | null;
  segBytes?: number;
}

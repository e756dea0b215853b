/**
 * How our result series are named and numbered (docs/CONTRACTS.md "Result series").
 *
 * Run 1 of a model version on a source series is `<model> <version> infection+lung` (SEG, SeriesNumber
 * 9000) and `<model> <version> measurements` (SR, 9001). A forced re-run n ≥ 2 appends ` run <n>` and
 * takes SeriesNumber 9000 + 10·(n−1) (+1 for the SR), so no two results of ours look alike; the SR
 * names the reports it supersedes in PredecessorDocumentsSequence. LO: at most 64 characters.
 */
export const SEG_SERIES_NUMBER = 9000;
export const SR_SERIES_NUMBER = 9001;
export const KEY_IMAGE_SERIES_NUMBER = 9002;

const runSuffix = (run: number) => (run > 1 ? ` run ${run}` : '');

export function segSeriesDescription(modelName: string, modelVersion: string, run = 1): string {
  return `${modelName} ${modelVersion}`.slice(0, 64 - 15 - runSuffix(run).length) + ` infection+lung${runSuffix(run)}`;
}

export function srSeriesDescription(modelName: string, modelVersion: string, run = 1): string {
  return `${modelName} ${modelVersion}`.slice(0, 64 - 13 - runSuffix(run).length) + ` measurements${runSuffix(run)}`;
}

export function keyImageSeriesDescription(modelName: string, modelVersion: string, run = 1): string {
  return `${modelName} ${modelVersion}`.slice(0, 64 - 11 - runSuffix(run).length) + ` key images${runSuffix(run)}`;
}

export const seriesNumberOfRun = (base: number, run: number) => base + 10 * (run - 1);

/** The run a SeriesDescription of ours names for this model, or undefined when it is not ours for this model. */
export function runOfDescription(description: string, kind: 'infection+lung' | 'measurements' | 'key images', modelName: string, modelVersion?: string): number | undefined {
  const prefix = modelVersion === undefined ? `${modelName} ` : `${modelName} ${modelVersion} `;
  if (!description.startsWith(prefix)) return undefined;
  const rest = description.slice(prefix.length);
  const match = new RegExp(`^${modelVersion === undefined ? '\\S+ ' : ''}${kind.replace('+', '\\+')}(?: run ([1-9][0-9]*))?$`).exec(rest);
  return match ? Number(match[1] ?? 1) : undefined;
}

/** Any of our SEG descriptions, whatever the model (the viewer's and study list's test for "ours"). */
export const OUR_SEG_DESCRIPTION = /^(\S+) (\S+) infection\+lung(?: run ([1-9][0-9]*))?$/;
export const OUR_SR_DESCRIPTION = /^(\S+) (\S+) measurements(?: run ([1-9][0-9]*))?$/;

import { MeasurementReport, getJsonSequence, getJsonString, readMeasurementReportFile, DicomError } from '@covseg/dicom';
import { JobContext } from './job-context';
import { runOfDescription } from './result-series';

export interface ExistingSeg {
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  run: number;
}

export interface ExistingReport {
  studyInstanceUID: string;
  srSeriesInstanceUID: string;
  srSopInstanceUID: string;
  run: number;
  report: MeasurementReport;
}

export interface ResultsOnPacs {
  /** Our SEGs of this source series by this model name and version, as trained as ours. */
  segs: ExistingSeg[];
  /** Our TID 1500 reports of this model name and version that measure this source series. */
  reports: ExistingReport[];
}

/**
 * Our earlier results of a source series on the PACS, for this model name and version, found by their
 * SeriesDescription (jobs/result-series.ts) and confirmed by content: a SEG must reference the source
 * series (ReferencedSeriesSequence, PS3.3 C.8.20.1) and be as trained as ours (ContentDescription marks
 * untrained exports); a report must name the source series (TID 1411 "Source series for segmentation").
 * Catches results stored by another server or before a lost database. A report that cannot be read is
 * skipped: it is not ours in any sense we can use.
 */
export async function findResultsOnPacs(context: JobContext, sourceSeriesInstanceUID: string): Promise<ResultsOnPacs> {
  const { client, job, model, signal } = context;
  const study = job.studyInstanceUID;
  const [segSeries, srSeries] = await Promise.all([
    client.searchSeries(study, { Modality: 'SEG', includefield: ['SeriesDescription'] }, signal),
    client.searchSeries(study, { Modality: 'SR', includefield: ['SeriesDescription'] }, signal),
  ]);
  const segs: ExistingSeg[] = [];
  for (const series of segSeries) {
    const run = runOfDescription(getJsonString(series, 'SeriesDescription') ?? '', 'infection+lung', model.name, model.version);
    const segSeriesInstanceUID = getJsonString(series, 'SeriesInstanceUID');
    if (run === undefined || !segSeriesInstanceUID) continue;
    for (const instance of await client.retrieveSeriesMetadata(study, segSeriesInstanceUID, signal)) {
      const referenced = getJsonSequence(instance, 'ReferencedSeriesSequence').some((item) => getJsonString(item, 'SeriesInstanceUID') === sourceSeriesInstanceUID);
      const segSopInstanceUID = getJsonString(instance, 'SOPInstanceUID');
      // A trained export may keep the untrained placeholder's version; never hand back the placeholder's SEG.
      const untrained = (getJsonString(instance, 'ContentDescription') ?? '').startsWith('UNTRAINED');
      if (referenced && segSopInstanceUID && untrained === !model.trained) segs.push({ segSeriesInstanceUID, segSopInstanceUID, run });
    }
  }
  const reports: ExistingReport[] = [];
  for (const series of srSeries) {
    const run = runOfDescription(getJsonString(series, 'SeriesDescription') ?? '', 'measurements', model.name, model.version);
    const srSeriesInstanceUID = getJsonString(series, 'SeriesInstanceUID');
    if (run === undefined || !srSeriesInstanceUID) continue;
    for (const instance of await client.searchInstances(study, srSeriesInstanceUID, {}, signal)) {
      const srSopInstanceUID = getJsonString(instance, 'SOPInstanceUID');
      if (!srSopInstanceUID) continue;
      let report: MeasurementReport;
      try {
        report = readMeasurementReportFile(await client.retrieveInstance(study, srSeriesInstanceUID, srSopInstanceUID, { signal }));
      } catch (error) {
        if (error instanceof DicomError) continue;
        throw error;
      }
      if (report.sourceSeriesInstanceUIDs.includes(sourceSeriesInstanceUID)) reports.push({ studyInstanceUID: study, srSeriesInstanceUID, srSopInstanceUID, run, report });
    }
  }
  return { segs, reports };
}

/** The next run number: one past the highest of our results of this model version on the series. */
export function nextRun(found: ResultsOnPacs): number {
  return Math.max(0, ...found.segs.map((s) => s.run), ...found.reports.map((r) => r.run)) + 1;
}

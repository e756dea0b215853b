import { getJsonSequence, getJsonString } from '@covseg/dicom';
import { JobContext } from './job-context';

export interface ExistingSeg {
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
}

/** The SeriesDescription our SEGs carry; the idempotency check on the PACS looks for it. LO: at most 64 characters. */
export function segSeriesDescription(modelName: string, modelVersion: string): string {
  return `${modelName} ${modelVersion} infection+lung`.slice(0, 64);
}

/**
 * Looks on the PACS for a SEG series of the study whose SeriesDescription names this model and version
 * and which references the source series (ReferencedSeriesSequence, PS3.3 C.8.20.1), written by a model
 * as trained as ours (ContentDescription marks untrained exports). Found: the job
 * returns it instead of storing a duplicate. Catches SEGs stored by another server or a lost database.
 */
export async function findSegOnPacs(context: JobContext, sourceSeriesInstanceUID: string): Promise<ExistingSeg | undefined> {
  const { client, job, model, signal } = context;
  const description = segSeriesDescription(model.name, model.version);
  const segSeries = await client.searchSeries(job.studyInstanceUID, { Modality: 'SEG', includefield: ['SeriesDescription'] }, signal);
  for (const series of segSeries) {
    if (getJsonString(series, 'SeriesDescription') !== description) continue;
    const segSeriesInstanceUID = getJsonString(series, 'SeriesInstanceUID');
    if (!segSeriesInstanceUID) continue;
    const instances = await client.retrieveSeriesMetadata(job.studyInstanceUID, segSeriesInstanceUID, signal);
    for (const instance of instances) {
      const referenced = getJsonSequence(instance, 'ReferencedSeriesSequence').some((item) => getJsonString(item, 'SeriesInstanceUID') === sourceSeriesInstanceUID);
      const segSopInstanceUID = getJsonString(instance, 'SOPInstanceUID');
      // A trained export may keep the untrained placeholder's version; never hand back the placeholder's SEG.
      const untrained = (getJsonString(instance, 'ContentDescription') ?? '').startsWith('UNTRAINED');
      if (referenced && segSopInstanceUID && untrained === !model.trained) return { segSeriesInstanceUID, segSopInstanceUID };
    }
  }
  return undefined;
}

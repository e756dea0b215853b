import { DicomJsonDataset, getJsonNumber, getJsonString, getJsonValues } from '@covseg/dicom';
import { SeriesNotFoundError, NoEligibleSeriesError, StudyNotFoundError } from './job.errors';
import { JobContext } from './job-context';
import { SeriesFacts, SeriesSelection, selectSeries } from './series-selection';

export interface ResolvedSeries {
  seriesInstanceUID: string;
  /** Present when the server chose the series; the job result shows it. */
  selection?: SeriesSelection;
  /** Instances in the series when the PACS said (QIDO NumberOfSeriesRelatedInstances); sizes the volume. */
  instances?: number;
}

const SERIES_FIELDS = ['Modality', 'SeriesDescription', 'SeriesNumber', 'NumberOfSeriesRelatedInstances'];

/**
 * QIDO stage: confirms the requested series exists in the study, or chooses one by the explicit rules of
 * series-selection.ts. Non-CT series are judged from QIDO alone; CT series need one WADO-RS metadata
 * request each (ImageType, ImageOrientationPatient, SliceThickness, ConvolutionKernel).
 */
export async function resolveSeries(context: JobContext): Promise<ResolvedSeries> {
  const { client, job, signal } = context;
  return context.time('qido', async () => {
    const series = await client.searchSeries(job.studyInstanceUID, { includefield: SERIES_FIELDS }, signal);
    if (series.length === 0) throw new StudyNotFoundError(job.studyInstanceUID, client.baseUrl);
    if (job.requestedSeriesInstanceUID) {
      const requested = series.find((s) => getJsonString(s, 'SeriesInstanceUID') === job.requestedSeriesInstanceUID);
      if (!requested) throw new SeriesNotFoundError(job.requestedSeriesInstanceUID, job.studyInstanceUID);
      return { seriesInstanceUID: job.requestedSeriesInstanceUID, instances: getJsonNumber(requested, 'NumberOfSeriesRelatedInstances') };
    }
    const facts: SeriesFacts[] = [];
    for (const dataset of series) facts.push(await describeSeries(context, dataset));
    const selection = selectSeries(facts);
    if (!selection.chosenSeriesInstanceUID) {
      const reasons = selection.candidates.map((c) => `series ${c.seriesInstanceUID}: ${c.rejectedBecause}`).join('; ');
      throw new NoEligibleSeriesError(job.studyInstanceUID, reasons);
    }
    const chosen = facts.find((f) => f.seriesInstanceUID === selection.chosenSeriesInstanceUID);
    return { seriesInstanceUID: selection.chosenSeriesInstanceUID, selection, instances: chosen?.instances || undefined };
  });
}

async function describeSeries(context: JobContext, qido: DicomJsonDataset): Promise<SeriesFacts> {
  const seriesInstanceUID = getJsonString(qido, 'SeriesInstanceUID') ?? '';
  const facts: SeriesFacts = {
    seriesInstanceUID,
    seriesNumber: getJsonNumber(qido, 'SeriesNumber'),
    seriesDescription: getJsonString(qido, 'SeriesDescription'),
    modality: getJsonString(qido, 'Modality'),
    instances: getJsonNumber(qido, 'NumberOfSeriesRelatedInstances') ?? 0,
    imageType: [],
  };
  if (facts.modality !== 'CT') return facts;
  const metadata = await context.client.retrieveSeriesMetadata(context.job.studyInstanceUID, seriesInstanceUID, context.signal);
  const first = metadata[0] ?? {};
  const imageType = new Set<string>();
  for (const instance of metadata) for (const value of getJsonValues(instance, 'ImageType')) imageType.add(String(value).toUpperCase());
  const iop = getJsonValues(first, 'ImageOrientationPatient').map(Number);
  const kernel = getJsonValues(first, 'ConvolutionKernel').map(String).join('\\');
  return {
    ...facts,
    instances: metadata.length,
    imageType: [...imageType],
    imageOrientationPatient: iop.length === 6 ? iop : undefined,
    sliceThicknessMm: getJsonNumber(first, 'SliceThickness'),
    convolutionKernel: kernel || undefined,
  };
}

import { DicomJsonDataset, getJsonNumber, getJsonSequence, getJsonString, getJsonValues } from '@covseg/dicom';
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
  const iop = frameAttribute(first, 'PlaneOrientationSequence', 'ImageOrientationPatient').map(Number);
  const kernel = frameAttribute(first, 'CTReconstructionSequence', 'ConvolutionKernel').map(String).join('\\');
  const thickness = Number(frameAttribute(first, 'PixelMeasuresSequence', 'SliceThickness')[0]);
  return {
    ...facts,
    // Images, not instances: one Enhanced CT instance holds the whole volume as frames.
    instances: metadata.reduce((images, instance) => images + Math.max(1, getJsonNumber(instance, 'NumberOfFrames') ?? 1), 0),
    imageType: [...imageType],
    imageOrientationPatient: iop.length === 6 ? iop : undefined,
    sliceThicknessMm: Number.isFinite(thickness) ? thickness : undefined,
    convolutionKernel: kernel || undefined,
  };
}

/**
 * An attribute of a classic image, or, for Enhanced CT (PS3.3 C.7.6.16), the same attribute in the
 * shared functional group or the first frame's: the selection only needs the first image's value.
 */
function frameAttribute(instance: DicomJsonDataset, group: string, keyword: string): unknown[] {
  const topLevel = getJsonValues(instance, keyword);
  if (topLevel.length > 0) return topLevel;
  for (const groups of [getJsonSequence(instance, 'SharedFunctionalGroupsSequence')[0], getJsonSequence(instance, 'PerFrameFunctionalGroupsSequence')[0]]) {
    const item = groups && getJsonSequence(groups, group)[0];
    const values = item ? getJsonValues(item, keyword) : [];
    if (values.length > 0) return values;
  }
  return [];
}

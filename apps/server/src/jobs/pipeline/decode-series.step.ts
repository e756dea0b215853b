import { CtVolume, CtVolumeStream, FrameDecodePool } from '@covseg/dicom';
import { SeriesRetrieveService } from '../../pacs/services/series-retrieve.service';
import { JobRetrieveResult } from './job-result';
import { JobContext } from './job-context';

/**
 * WADO-RS retrieve and decode, overlapped: each Part 10 file is parsed as its multipart part arrives
 * and its pixels are decoded straight into the one int16 HU volume (compressed frames in the decode
 * pool's worker threads), so the series is never held as a whole response, nor twice. Checks, order
 * and HU are buildCtVolume's (docs/CONTRACTS.md §3). A malformed instance fails the whole series: a
 * volume with a missing slice would give wrong volumes and a SEG that does not reference every image.
 *
 * The transfer syntax asked for is SeriesRetrieveService's choice (a lossless compressed series as
 * Explicit VR Little Endian when the PACS transcodes it, RETRIEVE_TRANSFER_SYNTAX); each part is decoded
 * as its own meta says, and the returned `retrieve` says what was asked and what arrived.
 *
 * Timings: `retrieve` runs until the last byte arrived (parsing and decoding overlap it; the stored-syntax
 * lookup and a fallback retrieve count here too); `decode` is what remains after it, waiting for the
 * last frames and sorting.
 * @param expectedSlices the series' instance count when QIDO gave it: the volume is allocated once.
 * @throws DicomwebError, DicomParseError, UnsupportedTransferSyntaxError, PixelDecodeError, SeriesRejectedError.
 */
export async function retrieveCtVolume(
  context: JobContext,
  seriesInstanceUID: string,
  pool: FrameDecodePool,
  retrieval: SeriesRetrieveService,
  expectedSlices?: number,
): Promise<{ volume: CtVolume; retrieve: JobRetrieveResult }> {
  const { client, job, signal } = context;
  const stream = new CtVolumeStream({ pool, ...(expectedSlices ? { expectedSlices } : {}) });
  const report = await context.time('retrieve', () => retrieval.streamSeries(client, job.pacsEndpointId, job.studyInstanceUID, seriesInstanceUID, stream, signal));
  const retrieve: JobRetrieveResult = { ...report, receivedTransferSyntaxes: stream.transferSyntaxes };
  return { volume: await context.time('decode', () => stream.finish()), retrieve };
}

/**
 * The same volume from Part 10 files already on disk (a series pushed by C-STORE): each file goes
 * through the same stream, compressed frames through the decode pool.
 */
export async function decodeReceivedSeries(context: JobContext, files: Uint8Array[], pool: FrameDecodePool): Promise<CtVolume> {
  return context.time('decode', async () => {
    const stream = new CtVolumeStream({ pool, expectedSlices: files.length });
    for (const bytes of files) await stream.add(bytes);
    return stream.finish();
  });
}

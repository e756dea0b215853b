import { Inject, Injectable, Logger } from '@nestjs/common';
import { DicomwebClient, DicomwebError, DicomwebHttpError, type SeriesConsumer, TransferSyntaxUID } from '@covseg/dicom';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';

/** RETRIEVE_TRANSFER_SYNTAX: `auto` asks the PACS to transcode lossless compressed series; `as-stored` never does. */
export const RETRIEVE_TRANSFER_SYNTAX_MODES = ['auto', 'as-stored'] as const;
export type RetrieveTransferSyntaxMode = (typeof RETRIEVE_TRANSFER_SYNTAX_MODES)[number];

/** What a job asks for when the PACS transcodes: native pixels, which we copy instead of decode. */
export const TRANSCODE_TO = TransferSyntaxUID.ExplicitVRLittleEndian;

/**
 * Stored syntaxes the PACS is asked to transcode. Lossless only, so the HU are bit-identical whoever
 * decodes (a lossy JPEG decoded by another library may differ by rounding). RLE is not here (not
 * measured: our RLE decoder is simple JS, and an uncompressed answer is about twice the bytes).
 * JPEG 2000 is, although Debian's Orthanc transcodes it only with the GDCM plugin (it answers 500
 * without, and we fall back, remembering the refusal): another PACS does it natively, on its own CPU,
 * and our WASM decoder costs ~50 ms a slice. HTJ2K lossless (.201/.202) is not: OpenJPH decodes it in
 * ~6.6 ms a slice (docs/PERFORMANCE.md, fifth round), about what a PACS spends transcoding JPEG
 * Lossless, while the uncompressed answer is ~2.7x the bytes (lidc-0001: 68 MB against 25 MB); and Orthanc 1.10 (DCMTK 3.6.7) cannot
 * transcode it at all.
 */
const TRANSCODED_SOURCES: ReadonlySet<string> = new Set([
  TransferSyntaxUID.JPEGLossless,
  TransferSyntaxUID.JPEGLosslessSV1,
  TransferSyntaxUID.JPEGLSLossless,
  TransferSyntaxUID.JPEG2000Lossless,
]);

/** A refusal to transcode a syntax is remembered per endpoint this long (ms), so jobs stop paying for the failed ask. */
export const TRANSCODE_REFUSAL_MEMORY_MS = 60 * 60_000;

/** Statuses that say "busy, try later", not "cannot transcode": never remembered as a refusal. */
const BUSY_STATUSES = new Set([408, 429, 503]);
/** Statuses the as-stored retrieve would get just the same: never a reason to fall back. */
const SAME_EITHER_WAY = new Set([401, 403, 404]);

/** How a series was retrieved, for the job's result and the log (UIDs only). */
export interface SeriesRetrieveReport {
  /** The transfer syntax the retrieve that delivered the series asked for: TRANSCODE_TO, or `*` (as stored). */
  requested: string;
  /** The stored syntax of the series' first instance, when it was looked up (mode auto). */
  storedTransferSyntaxUID?: string;
  /** Why the series was retrieved as stored after asking for TRANSCODE_TO (an HTTP status or an error class). */
  transcodeFailed?: string;
  /** Instances the successful retrieve delivered. */
  instances: number;
}

/**
 * The pacs module's policy for a job's series retrieve: which transfer syntax to ask the PACS for.
 * Decoding a compressed series is our CPU on the job's critical path (JPEG Lossless ~20 ms a slice in
 * JS, JPEG 2000 ~50 ms in WASM); a PACS transcodes it natively (Orthanc's DCMTK: JPEG Lossless ~4 ms a
 * slice), on its own machine in a real deployment. So in mode `auto` a lossless compressed series is
 * asked for as Explicit VR Little Endian, and whatever goes wrong with that ask (a 4xx/5xx, a body that
 * breaks off) falls back to the series as stored and our own decoders; parts the PACS sends in another
 * syntax than asked are decoded as each says (CtVolumeStream reads every part's own meta).
 */
@Injectable()
export class SeriesRetrieveService {
  private readonly logger = new Logger('SeriesRetrieve');
  /** `endpointId|stored syntax` → time (Date.now ms) until which that PACS is not asked to transcode it. */
  private readonly refusals = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Streams every instance of the series to `consumer` (see DicomwebClient.streamSeries), asking for
   * the transfer syntax chosen as above. The consumer is reset before a fallback retrieve.
   * @throws what DicomwebClient.streamSeries throws, from the as-stored retrieve or the consumer.
   */
  async streamSeries(
    client: DicomwebClient,
    endpointId: string,
    studyInstanceUID: string,
    seriesInstanceUID: string,
    consumer: SeriesConsumer,
    signal?: AbortSignal,
  ): Promise<SeriesRetrieveReport> {
    const asStored = async (report: Omit<SeriesRetrieveReport, 'requested' | 'instances'>): Promise<SeriesRetrieveReport> => {
      const instances = await client.streamSeries(studyInstanceUID, seriesInstanceUID, consumer, { transferSyntax: '*', signal });
      return { requested: '*', ...report, instances };
    };
    if (this.config.retrieveTransferSyntax === 'as-stored') return asStored({});
    const stored = await client.getStoredTransferSyntax(studyInstanceUID, seriesInstanceUID, signal);
    if (!stored || !TRANSCODED_SOURCES.has(stored) || this.refusedBefore(endpointId, stored)) return asStored(stored ? { storedTransferSyntaxUID: stored } : {});
    try {
      // One try: a PACS that cannot transcode answers so at once, and the as-stored retrieve has the retries.
      const instances = await client.streamSeries(studyInstanceUID, seriesInstanceUID, consumer, { transferSyntax: TRANSCODE_TO, retries: 0, signal });
      return { requested: TRANSCODE_TO, storedTransferSyntaxUID: stored, instances };
    } catch (error) {
      const reason = fallbackReason(error, signal);
      if (reason === undefined) throw error;
      if (error instanceof DicomwebHttpError && !BUSY_STATUSES.has(error.status)) this.refusals.set(`${endpointId}|${stored}`, Date.now() + TRANSCODE_REFUSAL_MEMORY_MS);
      this.logger.log(`Series ${seriesInstanceUID}: the PACS did not transcode ${stored} to ${TRANSCODE_TO} (${reason}); retrieving it as stored`);
      await consumer.reset();
      return asStored({ storedTransferSyntaxUID: stored, transcodeFailed: reason });
    }
  }

  private refusedBefore(endpointId: string, stored: string): boolean {
    const key = `${endpointId}|${stored}`;
    const until = this.refusals.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.refusals.delete(key);
    return false;
  }
}

/**
 * Why a failed transcoded retrieve is worth retrying as stored, or undefined to rethrow: the caller's
 * abort, the consumer's own errors (a malformed instance fails either way) and statuses the as-stored
 * request would get just the same are not.
 */
function fallbackReason(error: unknown, signal: AbortSignal | undefined): string | undefined {
  if (signal?.aborted || !(error instanceof DicomwebError)) return undefined;
  if (error instanceof DicomwebHttpError) return SAME_EITHER_WAY.has(error.status) ? undefined : `status ${error.status}`;
  return error.name;
}

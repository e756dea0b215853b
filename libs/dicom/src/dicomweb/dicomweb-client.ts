import { DicomwebError, DicomwebIncompleteBodyError, DicomwebResponseError, DicomwebStoreError } from './dicomweb-errors';
import { type DicomJsonDataset, getJsonNumber, getJsonSequence, getJsonString, parseDicomJsonArray } from './dicom-json';
import { DicomwebTransport, type DicomwebTransportOptions, type RawRequest, type RawResponse, type TransportResponse } from './dicomweb-transport';
import { endsWithClosingDelimiter, getMultipartBoundary, MultipartStreamParser, multipartChunks, parseMultipart } from './multipart';
import { readTransferSyntaxUID } from '../parsing/file-meta';

export type DicomwebClientOptions = DicomwebTransportOptions;

/**
 * QIDO-RS query: attribute keywords or tags as keys (`PatientID`, `0020000D`), plus the PS3.18 8.3.4
 * parameters `limit`, `offset`, `fuzzymatching` and `includefield` (an array sends the key repeatedly).
 */
export type QidoQuery = Record<string, string | number | boolean | string[] | undefined>;

/** Takes the instances of a streamed series retrieve (see {@link DicomwebClient.streamSeries}). */
export interface SeriesConsumer {
  /** One Part 10 file, its own buffer (offset 0), which the consumer may keep or transfer. */
  add(bytes: Uint8Array): void | Promise<void>;
  /** The retrieve is retried from its start: drop every instance received so far. */
  reset(): void | Promise<void>;
}

export interface RetrieveOptions {
  /**
   * Transfer syntax UID asked for, or `*` for "as stored" (default: no transcoding by the PACS). A PACS
   * may still answer another syntax (PS3.18 8.7.3.5): read the syntax of every part, never assume this one.
   */
  transferSyntax?: string;
  /** Further attempts after a transient failure, instead of the client's `retries` (idempotent reads only). */
  retries?: number;
  signal?: AbortSignal;
}

/** What STOW-RS reports for a successful store (PS3.18 10.5.3). */
export interface StoreResult {
  status: number;
  /** SOP Instance UIDs the server lists in ReferencedSOPSequence. */
  storedSopInstanceUIDs: string[];
  /** RetrieveURL (0008,1190) of the study, when the server gives it. */
  retrieveUrl: string | undefined;
}

const DICOM_JSON = 'application/dicom+json';

/**
 * A DICOMweb client for one endpoint (PS3.18): QIDO-RS search, WADO-RS retrieve, STOW-RS store.
 * Reads are retried on transient failures; STOW is not (see {@link DicomwebTransport}).
 * Every error is a DicomwebError whose message names the operation and the URL, never credentials.
 */
export class DicomwebClient {
  private readonly transport: DicomwebTransport;

  constructor(options: DicomwebClientOptions) {
    this.transport = new DicomwebTransport(options);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** QIDO-RS `GET /studies` (PS3.18 10.6). An empty array when nothing matches. */
  searchStudies(query: QidoQuery = {}, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.qido('/studies', query, signal);
  }

  /** QIDO-RS `GET /studies/{study}/series`. */
  searchSeries(studyInstanceUID: string, query: QidoQuery = {}, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.qido(`/studies/${uid(studyInstanceUID)}/series`, query, signal);
  }

  /** QIDO-RS `GET /studies/{study}/series/{series}/instances`. */
  searchInstances(studyInstanceUID: string, seriesInstanceUID: string, query: QidoQuery = {}, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.qido(`/studies/${uid(studyInstanceUID)}/series/${uid(seriesInstanceUID)}/instances`, query, signal);
  }

  /** WADO-RS `GET .../series/{series}/metadata`: one DICOM JSON dataset per instance, bulk data by URI. */
  async retrieveSeriesMetadata(studyInstanceUID: string, seriesInstanceUID: string, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    const response = await this.transport.request({
      operation: 'WADO-RS',
      method: 'GET',
      path: `/studies/${uid(studyInstanceUID)}/series/${uid(seriesInstanceUID)}/metadata`,
      headers: { Accept: DICOM_JSON },
      idempotent: true,
      answer: 'json',
      signal,
    });
    return parseDicomJsonArray(response.body, `WADO-RS metadata of series ${seriesInstanceUID}`);
  }

  /** WADO-RS `GET /studies/{study}/metadata` (PS3.18 10.4.1.1.2): one DICOM JSON dataset per instance of the study. */
  async retrieveStudyMetadata(studyInstanceUID: string, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    const response = await this.transport.request({
      operation: 'WADO-RS',
      method: 'GET',
      path: `/studies/${uid(studyInstanceUID)}/metadata`,
      headers: { Accept: DICOM_JSON },
      idempotent: true,
      answer: 'json',
      signal,
    });
    return parseDicomJsonArray(response.body, `WADO-RS metadata of study ${studyInstanceUID}`);
  }

  /**
   * One request whose answer the caller reads itself, for a pass-through proxy or a probe: never
   * retried, any status returned, a redirect refused, the body capped (see DicomwebTransport.open).
   * The caller checks `path` (no traversal, under the base URL) before it gets here.
   */
  open(request: RawRequest): Promise<RawResponse> {
    return this.transport.open(request);
  }

  /**
   * WADO-RS retrieve of one instance as a Part 10 file (PS3.18 10.4.1.1.1).
   * @returns the file bytes, owned by the caller.
   */
  async retrieveInstance(studyInstanceUID: string, seriesInstanceUID: string, sopInstanceUID: string, options: RetrieveOptions = {}): Promise<Uint8Array> {
    const path = `/studies/${uid(studyInstanceUID)}/series/${uid(seriesInstanceUID)}/instances/${uid(sopInstanceUID)}`;
    const parts = await this.retrieveMultipart(path, 'application/dicom', options);
    if (parts.length !== 1) throw new DicomwebResponseError(`WADO-RS returned ${parts.length} parts for instance ${sopInstanceUID}, expected 1`);
    return parts[0];
  }

  /**
   * WADO-RS retrieve of every instance of a series as Part 10 files, in the order the server sends them
   * (not necessarily slice order). The returned arrays are views into one response buffer.
   * @throws DicomwebHttpError 404 for an unknown study or series.
   */
  async retrieveSeries(studyInstanceUID: string, seriesInstanceUID: string, options: RetrieveOptions = {}): Promise<Uint8Array[]> {
    const parts = await this.retrieveMultipart(`/studies/${uid(studyInstanceUID)}/series/${uid(seriesInstanceUID)}`, 'application/dicom', options);
    if (parts.length === 0) throw new DicomwebResponseError(`WADO-RS returned no instances for series ${seriesInstanceUID}`);
    return parts;
  }

  /**
   * WADO-RS retrieve of a series like {@link retrieveSeries}, except that each Part 10 file goes to
   * `consumer.add` as soon as its multipart part has arrived, so the consumer can parse and decode
   * while the rest downloads, and the whole response is never held at once. A transient failure
   * retries the request from its start after `consumer.reset()`. Errors thrown by the consumer stop
   * the download and propagate unchanged.
   * @returns the number of instances received.
   * @throws DicomwebHttpError 404 for an unknown study or series; DicomwebResponseError for a malformed body.
   */
  async streamSeries(studyInstanceUID: string, seriesInstanceUID: string, consumer: SeriesConsumer, options: RetrieveOptions = {}): Promise<number> {
    let received = 0;
    let attempts = 0;
    await this.transport.stream(
      {
        operation: 'WADO-RS',
        method: 'GET',
        path: `/studies/${uid(studyInstanceUID)}/series/${uid(seriesInstanceUID)}`,
        headers: { Accept: `multipart/related; type="application/dicom"; transfer-syntax=${options.transferSyntax ?? '*'}` },
        idempotent: true,
        retries: options.retries,
        signal: options.signal,
      },
      async (headers, url) => {
        if (attempts++ > 0) await consumer.reset();
        received = 0;
        const boundary = getMultipartBoundary(headers.get('content-type'));
        if (!boundary) throw new DicomwebResponseError(`WADO-RS answered ${headers.get('content-type') ?? 'no Content-Type'} instead of multipart/related: GET ${url}`);
        const parser = new MultipartStreamParser(boundary);
        return {
          async write(chunk) {
            for (const part of parser.push(chunk)) {
              received += 1;
              await consumer.add(part);
            }
          },
          end() {
            try {
              parser.end();
            } catch (cause) {
              // A chunked body cut by a closing connection reads as complete in undici: retried once (see requireClosingDelimiter).
              throw new DicomwebIncompleteBodyError(`WADO-RS body ended without its closing multipart delimiter (connection dropped mid-transfer?): GET ${url}`, { transient: true, cause });
            }
            if (received === 0) throw new DicomwebResponseError(`WADO-RS returned no instances for series ${seriesInstanceUID}`);
          },
        };
      },
    );
    return received;
  }

  /**
   * The transfer syntax one instance of the series is stored in, found before a bulk retrieve: QIDO-RS
   * names an instance (`limit=1`), which is then retrieved as stored and its File Meta Information read
   * (Orthanc's QIDO and metadata do not give the transfer syntax). Costs two small requests.
   * @returns the Transfer Syntax UID, or undefined when the series lists no instance or the file has none.
   */
  async getStoredTransferSyntax(studyInstanceUID: string, seriesInstanceUID: string, signal?: AbortSignal): Promise<string | undefined> {
    const [first] = await this.searchInstances(studyInstanceUID, seriesInstanceUID, { limit: 1 }, signal);
    const sopInstanceUID = first && getJsonString(first, 'SOPInstanceUID');
    if (!sopInstanceUID) return undefined;
    const bytes = await this.retrieveInstance(studyInstanceUID, seriesInstanceUID, sopInstanceUID, { transferSyntax: '*', signal });
    return readTransferSyntaxUID(bytes);
  }

  /**
   * WADO-RS retrieve of frames of one instance (PS3.18 10.4.1.1.3), 1-based frame numbers.
   * Uncompressed frames come as raw little-endian pixel bytes; compressed ones as their codestream.
   */
  async retrieveFrames(
    studyInstanceUID: string,
    seriesInstanceUID: string,
    sopInstanceUID: string,
    frameNumbers: number[],
    options: RetrieveOptions = {},
  ): Promise<Uint8Array[]> {
    if (frameNumbers.length === 0 || frameNumbers.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new DicomwebError(`WADO-RS frame numbers must be integers >= 1, got [${frameNumbers.join(',')}]`, { transient: false });
    }
    const path = `/studies/${uid(studyInstanceUID)}/series/${uid(seriesInstanceUID)}/instances/${uid(sopInstanceUID)}/frames/${frameNumbers.join(',')}`;
    const parts = await this.retrieveMultipart(path, 'application/octet-stream', options);
    if (parts.length !== frameNumbers.length) {
      throw new DicomwebResponseError(`WADO-RS returned ${parts.length} frames of instance ${sopInstanceUID}, asked for ${frameNumbers.length}`);
    }
    return parts;
  }

  /**
   * STOW-RS store (PS3.18 10.5) of Part 10 files in one multipart/related request.
   * Not retried: a repeated POST after an unclear outcome is for the caller to decide.
   * @throws DicomwebStoreError when the response lists failed instances (status 409, or 202 with failures).
   */
  async store(instances: Uint8Array[], studyInstanceUID?: string, signal?: AbortSignal): Promise<StoreResult> {
    if (instances.length === 0) throw new DicomwebError('STOW-RS needs at least one instance to store', { transient: false });
    // Sent as chunks: the instances are not joined into one more buffer (a 600-slice SEG is 40 MB).
    const { chunks: body, contentType } = multipartChunks(instances, 'application/dicom');
    const response = await this.transport.request({
      operation: 'STOW-RS',
      method: 'POST',
      path: studyInstanceUID ? `/studies/${uid(studyInstanceUID)}` : '/studies',
      headers: { 'Content-Type': contentType, Accept: DICOM_JSON },
      body,
      idempotent: false,
      acceptStatuses: [409],
      answer: 'json',
      signal,
    });
    return readStoreResponse(response);
  }

  private async qido(path: string, query: QidoQuery, signal: AbortSignal | undefined): Promise<DicomJsonDataset[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
    }
    const response = await this.transport.request({ operation: 'QIDO-RS', method: 'GET', path, query: params, headers: { Accept: DICOM_JSON }, idempotent: true, answer: 'json', signal });
    return parseDicomJsonArray(response.body, `QIDO-RS ${path}`);
  }

  private async retrieveMultipart(path: string, partType: string, options: RetrieveOptions): Promise<Uint8Array[]> {
    const response = await this.transport.request({
      operation: 'WADO-RS',
      method: 'GET',
      path,
      headers: { Accept: `multipart/related; type="${partType}"; transfer-syntax=${options.transferSyntax ?? '*'}` },
      idempotent: true,
      retries: options.retries,
      checkComplete: requireClosingDelimiter,
      signal: options.signal,
    });
    const boundary = getMultipartBoundary(response.headers.get('content-type'));
    if (!boundary) throw new DicomwebResponseError(`WADO-RS answered ${response.headers.get('content-type') ?? 'no Content-Type'} instead of multipart/related: GET ${response.url}`);
    try {
      return parseMultipart(response.body, boundary).map((part) => part.body);
    } catch (cause) {
      throw new DicomwebResponseError(`WADO-RS returned a malformed multipart body: GET ${response.url}`, { cause });
    }
  }
}

function readStoreResponse(response: TransportResponse): StoreResult {
  const text = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString('utf8');
  let dataset: DicomJsonDataset = {};
  if (text.trim()) {
    try {
      const parsed = JSON.parse(text) as DicomJsonDataset | DicomJsonDataset[];
      dataset = Array.isArray(parsed) ? (parsed[0] ?? {}) : parsed;
    } catch (cause) {
      throw new DicomwebResponseError(`STOW-RS answered ${response.status} with a body that is not DICOM JSON: POST ${response.url}`, { cause });
    }
  }
  const failed = getJsonSequence(dataset, 'FailedSOPSequence').map((item) => ({
    sopInstanceUID: getJsonString(item, 'ReferencedSOPInstanceUID') ?? '(unknown)',
    failureReason: getJsonNumber(item, 'FailureReason'),
  }));
  if (response.status === 409 || failed.length > 0) {
    const reasons = failed.map((f) => `${f.sopInstanceUID} (reason ${f.failureReason ?? 'unknown'})`).join(', ');
    throw new DicomwebStoreError(`STOW-RS failed with status ${response.status}: POST ${response.url}${reasons ? `; failed instances: ${reasons}` : ''}`, response.status, failed);
  }
  return {
    status: response.status,
    storedSopInstanceUIDs: getJsonSequence(dataset, 'ReferencedSOPSequence').map((item) => getJsonString(item, 'ReferencedSOPInstanceUID') ?? ''),
    retrieveUrl: getJsonString(dataset, 'RetrieveURL'),
  };
}

/** UIDs are only digits and dots (PS3.5 9.1); refusing anything else keeps paths from being rewritten. */
function uid(value: string): string {
  if (!/^[0-9.]{1,64}$/.test(value)) throw new DicomwebError(`not a DICOM UID: ${JSON.stringify(value.slice(0, 70))}`, { transient: false });
  return value;
}

/**
 * A multipart body must end with `--boundary--` (RFC 2046 5.1.1, optionally followed by CRLF). One
 * that does not was cut in transit: a chunked response whose connection closed mid-series reads as
 * complete in undici. Report it as an incomplete body: retried once by the transport, then not transient.
 */
function requireClosingDelimiter(body: Uint8Array, headers: Headers): void {
  if (endsWithClosingDelimiter(body, headers.get('content-type')) === false) {
    throw new DicomwebIncompleteBodyError(`WADO-RS body ended after ${body.length} bytes without its closing multipart delimiter (connection dropped mid-transfer?)`, { transient: true });
  }
}

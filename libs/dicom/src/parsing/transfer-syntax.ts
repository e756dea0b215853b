/**
 * Transfer Syntax UIDs (PS3.6 Annex A) and what this library does with each. Keywords follow the
 * PS3.6 names so a grep for the standard's name finds the code.
 */
export const TransferSyntaxUID = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGSpectralSelectionNonHierarchical68: '1.2.840.10008.1.2.4.53',
  JPEGFullProgressionNonHierarchical1012: '1.2.840.10008.1.2.4.55',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

/** How the frames of a transfer syntax are stored and which decoder reads them. */
export type PixelEncoding =
  | 'native'
  | 'native-big-endian'
  | 'rle'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'
  | 'htj2k'
  | 'jpeg-baseline';

interface TransferSyntaxInfo {
  readonly encoding: PixelEncoding;
  /** True when decoding gives back exactly the stored values that were encoded. */
  readonly lossless: boolean;
}

interface TransferSyntaxEntry extends TransferSyntaxInfo {
  readonly uid: string;
  /**
   * Whether a receiver (StoreScp) accepts it. Deflate is not: the receiver reads the instance's UIDs from
   * the head of the file as it arrives (readInstanceIdentity), which a deflated data set does not allow.
   */
  readonly receivable: boolean;
}

/**
 * Every transfer syntax this library decodes, in the order a receiver prefers them when a sender offers
 * several (PS3.8 9.3.3.2: the acceptor picks one per presentation context): uncompressed first, so a sender
 * that can decompress does it; then lossless compressed; then the retired big endian; then lossy. Never
 * keep a second list of "what we accept" elsewhere: a syntax added here (as HTJ2K was) is accepted
 * everywhere at once, in its place.
 */
const table: readonly TransferSyntaxEntry[] = [
  { uid: TransferSyntaxUID.ExplicitVRLittleEndian, encoding: 'native', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.ImplicitVRLittleEndian, encoding: 'native', lossless: true, receivable: true },
  // dcmjs inflates the whole dataset while reading (PS3.5 A.5), so the pixel data is native by then.
  { uid: TransferSyntaxUID.DeflatedExplicitVRLittleEndian, encoding: 'native', lossless: true, receivable: false },
  { uid: TransferSyntaxUID.RLELossless, encoding: 'rle', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.JPEGLosslessSV1, encoding: 'jpeg-lossless', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.JPEGLossless, encoding: 'jpeg-lossless', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.JPEGLSLossless, encoding: 'jpeg-ls', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.JPEG2000Lossless, encoding: 'jpeg-2000', lossless: true, receivable: true },
  // High-Throughput JPEG 2000 (PS3.5 A.4.11, JPEG 2000 Part 15): OpenJPH decodes all three. .203 may
  // hold a reversible (lossless) codestream too, but the transfer syntax does not promise it.
  { uid: TransferSyntaxUID.HTJ2KLossless, encoding: 'htj2k', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.HTJ2KLosslessRPCL, encoding: 'htj2k', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.ExplicitVRBigEndian, encoding: 'native-big-endian', lossless: true, receivable: true },
  { uid: TransferSyntaxUID.JPEGLSNearLossless, encoding: 'jpeg-ls', lossless: false, receivable: true },
  { uid: TransferSyntaxUID.JPEG2000, encoding: 'jpeg-2000', lossless: false, receivable: true },
  { uid: TransferSyntaxUID.HTJ2K, encoding: 'htj2k', lossless: false, receivable: true },
  // Process 2/4 (12-bit) shares the UID of process 1; the 8-bit codec refuses 12-bit frames at decode.
  { uid: TransferSyntaxUID.JPEGBaseline8Bit, encoding: 'jpeg-baseline', lossless: false, receivable: true },
  { uid: TransferSyntaxUID.JPEGExtended12Bit, encoding: 'jpeg-baseline', lossless: false, receivable: true },
];

const known: ReadonlyMap<string, TransferSyntaxInfo> = new Map(table.map(({ uid, encoding, lossless }) => [uid, { encoding, lossless }]));

/** The transfer syntaxes a DICOM receiver (StoreScp) accepts, most preferred first (see `table`). */
export const RECEIVABLE_TRANSFER_SYNTAX_UIDS: readonly string[] = Object.freeze(table.filter((entry) => entry.receivable).map((entry) => entry.uid));

/** The decoder family of a transfer syntax, or undefined when none here can read it. */
export function getTransferSyntaxInfo(transferSyntaxUID: string): TransferSyntaxInfo | undefined {
  return known.get(transferSyntaxUID);
}

/** True for transfer syntaxes whose pixel data is encapsulated in fragments (PS3.5 A.4). */
export function isEncapsulated(encoding: PixelEncoding): boolean {
  return encoding !== 'native' && encoding !== 'native-big-endian';
}

import { DicomParseError } from '../errors';
import type { DicomDataset, StoredPixels } from './dicom-dataset';
import { decodeEncodedFrame, decodeNativeFrame, type EncodedFrame, type NativeFrame } from './decode-frame';
import type { PixelDescription } from './pixel-description';
import type { PixelEncoding } from './transfer-syntax';

/** Where the frames of an instance live: one native little-endian buffer, or one buffer per encapsulated frame. */
export type FrameStore =
  | { readonly kind: 'none' }
  | { readonly kind: 'native'; readonly data: Uint8Array }
  | { readonly kind: 'encapsulated'; readonly encoding: Exclude<PixelEncoding, 'native' | 'native-big-endian'>; readonly frames: readonly Uint8Array[] }
  /** The pixel data existed and was handed to a decoder elsewhere; see {@link DicomInstance.withoutPixelBytes}. */
  | { readonly kind: 'released' };

/**
 * One parsed DICOM instance. `dataset` is the naturalized dataset without PixelData (so it can be
 * logged, copied into a SEG or sent as JSON without dragging megabytes along); the pixel data stays
 * private and is decoded frame by frame.
 */
export class DicomInstance {
  constructor(
    readonly dataset: DicomDataset,
    readonly transferSyntaxUID: string,
    readonly sopInstanceUID: string,
    readonly sopClassUID: string,
    /** The validated Image Pixel Module; undefined when the instance has no PixelData. */
    readonly pixel: PixelDescription | undefined,
    private readonly store: FrameStore,
  ) {}

  hasPixelData(): boolean {
    return this.store.kind !== 'none';
  }

  /** Number of frames; 0 when the instance has no pixel data. */
  frames(): number {
    return this.pixel && this.store.kind !== 'none' ? this.pixel.numberOfFrames : 0;
  }

  /**
   * Decodes frame `index` (0-based) to stored values, row-major (`y * columns + x`), before the
   * Modality LUT: Int16Array when PixelRepresentation is 1, Uint16Array for unsigned 16-bit,
   * Uint8Array for unsigned 8-bit and for 1-bit frames (one 0/1 byte per pixel). Each call returns a
   * new buffer the caller owns. Async because the JPEG-LS/JPEG 2000/JPEG codecs are WebAssembly that
   * is compiled on first use.
   */
  async decodeFrame(index: number): Promise<StoredPixels> {
    const pixel = this.pixel;
    if (!pixel || this.store.kind === 'none') {
      throw new DicomParseError(`Decoding frame ${index} of SOP Instance ${this.sopInstanceUID} failed: the instance has no pixel data`, this.sopInstanceUID);
    }
    if (this.store.kind === 'released') {
      throw new DicomParseError(`Decoding frame ${index} of SOP Instance ${this.sopInstanceUID} failed: its pixel bytes were released after decoding`, this.sopInstanceUID);
    }
    if (!Number.isInteger(index) || index < 0 || index >= pixel.numberOfFrames) {
      throw new DicomParseError(
        `Decoding frame ${index} of SOP Instance ${this.sopInstanceUID} failed: the instance has ${pixel.numberOfFrames} frame(s)`,
        this.sopInstanceUID,
      );
    }
    if (this.store.kind === 'encapsulated') {
      return decodeEncodedFrame({
        encoding: this.store.encoding,
        transferSyntaxUID: this.transferSyntaxUID,
        sopInstanceUID: this.sopInstanceUID,
        pixel,
        bytes: this.store.frames[index]!,
      });
    }
    return decodeNativeFrame(this.store.data, pixel, index);
  }

  /**
   * Frame `index` as a codec takes it, for decoding elsewhere (a worker thread); undefined for native
   * pixel data. `bytes` is the instance's own buffer of that frame, not a copy.
   */
  encodedFrame(index: number): EncodedFrame | undefined {
    if (this.store.kind !== 'encapsulated' || !this.pixel) return undefined;
    const bytes = this.store.frames[index];
    if (!bytes) return undefined;
    return { encoding: this.store.encoding, transferSyntaxUID: this.transferSyntaxUID, sopInstanceUID: this.sopInstanceUID, pixel: this.pixel, bytes };
  }

  /**
   * Frame `index` of native pixel data as a decoder elsewhere takes it (a worker thread, see
   * FrameDecodePool.decodeInto); undefined for encapsulated or no pixel data. `bytes` is the instance's
   * own buffer of every frame, not a copy: a pool transfers it, after which only `withoutPixelBytes()`
   * of this instance may be used.
   */
  nativeFrame(index: number): NativeFrame | undefined {
    if (this.store.kind !== 'native' || !this.pixel || !Number.isInteger(index) || index < 0 || index >= this.pixel.numberOfFrames) return undefined;
    return { encoding: 'native', transferSyntaxUID: this.transferSyntaxUID, sopInstanceUID: this.sopInstanceUID, pixel: this.pixel, index, bytes: this.store.data };
  }

  /**
   * The same instance without its pixel bytes: `hasPixelData()` and `frames()` answer as before,
   * `decodeFrame` throws. For a caller that decoded the frames already and keeps only the header, so
   * a series is not held twice (as pixel bytes and as a volume).
   */
  withoutPixelBytes(): DicomInstance {
    if (this.store.kind === 'none' || this.store.kind === 'released') return this;
    return new DicomInstance(this.dataset, this.transferSyntaxUID, this.sopInstanceUID, this.sopClassUID, this.pixel, { kind: 'released' });
  }
}

import type { EncodedFrame, NativeFrame } from './decode-frame';

/** One frame to decode and rescale into `target` (a SharedArrayBuffer of int16 HU). */
export interface DecodeRequest {
  readonly id: number;
  /** The frame (encapsulated, or native pixel data and the frame's index in it), its bytes as a transferred ArrayBuffer. */
  readonly frame: (Omit<EncodedFrame, 'bytes'> | Omit<NativeFrame, 'bytes'>) & { readonly bytes: ArrayBuffer };
  readonly slope: number;
  readonly intercept: number;
  readonly target: SharedArrayBuffer;
  /** First int16 element of the slice in `target`. */
  readonly targetOffset: number;
  /** Rows x Columns. */
  readonly pixels: number;
}

/** The worker's answer; errors travel as their name, message and transfer syntax (structured clone drops classes). */
export type DecodeReply =
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string; transferSyntaxUID?: string } };

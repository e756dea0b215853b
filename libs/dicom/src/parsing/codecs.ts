import { PixelDecodeError } from '../errors';

export type WasmCodecName = 'jpeg-ls' | 'jpeg-2000' | 'htj2k' | 'jpeg-baseline';

interface LoadedCodec {
  create(): CornerstoneWasmDecoder;
  /** Messages the codec printed to stderr during the last decode; part of the error if it fails. */
  stderr: string[];
}

const loading = new Map<WasmCodecName, Promise<LoadedCodec>>();

async function load(name: WasmCodecName): Promise<LoadedCodec> {
  const stderr: string[] = [];
  // openjpeg prints "[INFO] ..." progress to stdout on every frame; stdout is not our log channel.
  const moduleArg: EmscriptenModuleArg = { print: () => undefined, printErr: (text) => void stderr.push(text) };
  switch (name) {
    case 'jpeg-ls': {
      const codec = await (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(moduleArg);
      return { create: () => new codec.JpegLSDecoder(), stderr };
    }
    case 'jpeg-2000': {
      const codec = await (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(moduleArg);
      return { create: () => new codec.J2KDecoder(), stderr };
    }
    case 'htj2k': {
      // OpenJPH (High-Throughput JPEG 2000, Part 15); a separate build from OpenJPEG's Part 1 decoder.
      const codec = await (await import('@cornerstonejs/codec-openjph/wasmjs')).default(moduleArg);
      return { create: () => new codec.HTJ2KDecoder(), stderr };
    }
    case 'jpeg-baseline': {
      const codec = await (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(moduleArg);
      return { create: () => new codec.JPEGDecoder(), stderr };
    }
  }
}

/**
 * Loads (once per process) the WebAssembly codec, shared by every later decode. Failing to load is
 * not cached, so a transient failure can be retried.
 */
export function loadCodec(name: WasmCodecName): Promise<LoadedCodec> {
  let pending = loading.get(name);
  if (!pending) {
    pending = load(name);
    pending.catch(() => loading.delete(name));
    loading.set(name, pending);
  }
  return pending;
}

/**
 * Optionally warms up every WebAssembly codec, e.g. at server boot, so the first request does not pay
 * the compile time. Decoding works without calling it: `decodeFrame` loads what it needs.
 */
export async function initCodecs(): Promise<void> {
  await Promise.all((['jpeg-ls', 'jpeg-2000', 'htj2k', 'jpeg-baseline'] as const).map((name) => loadCodec(name)));
}

/** The output of a WebAssembly decode: the codec's frame info and a copy of the decoded bytes. */
export interface WasmDecoded {
  readonly width: number;
  readonly height: number;
  readonly bitsPerSample: number;
  readonly componentCount: number;
  /** Whether the codestream says its samples are signed, when the codec reports it. */
  readonly isSigned?: boolean;
  /** Little-endian samples; a copy that the caller owns (the codec's heap is reused). */
  readonly bytes: Uint8Array;
}

/** Decodes one encapsulated frame with a WebAssembly codec. `encoded` is copied into the codec heap. */
export async function decodeWithWasm(name: WasmCodecName, encoded: Uint8Array, transferSyntaxUID: string): Promise<WasmDecoded> {
  const codec = await loadCodec(name);
  const decoder = codec.create();
  codec.stderr.length = 0;
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    return {
      width: info.width,
      height: info.height,
      bitsPerSample: info.bitsPerSample,
      componentCount: info.componentCount,
      isSigned: info.isSigned,
      bytes: decoder.getDecodedBuffer().slice(),
    };
  } catch (error) {
    const detail = codec.stderr.join(' ').trim();
    throw new PixelDecodeError(`Decoding a ${name} frame failed${detail ? `: ${detail}` : ''}`, transferSyntaxUID, { cause: error });
  } finally {
    // Emscripten objects live on the WASM heap until deleted (no GC); never drop this.
    decoder.delete();
  }
}

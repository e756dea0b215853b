/** The Emscripten codec builds of cornerstone (no types shipped); only the decode API is declared. */
interface CornerstoneFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}
interface CornerstoneWasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CornerstoneFrameInfo;
  delete(): void;
}
interface EmscriptenModuleArg {
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (moduleArg?: EmscriptenModuleArg) => Promise<{ JpegLSDecoder: new () => CornerstoneWasmDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (moduleArg?: EmscriptenModuleArg) => Promise<{ J2KDecoder: new () => CornerstoneWasmDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (moduleArg?: EmscriptenModuleArg) => Promise<{ HTJ2KDecoder: new () => CornerstoneWasmDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (moduleArg?: EmscriptenModuleArg) => Promise<{ JPEGDecoder: new () => CornerstoneWasmDecoder }>;
  export default factory;
}
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    /** Read from the frame header (SOF) by decode(): samples per line, lines, precision in bits. */
    xDim: number;
    yDim: number;
    precision: number | undefined;
    /** Components in the scan (SOS). */
    numComp: number;
    decode(buffer: ArrayBufferLike, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}

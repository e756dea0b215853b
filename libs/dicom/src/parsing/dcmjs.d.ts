/**
 * The part of dcmjs 0.51 that libs/dicom uses (dcmjs ships no types). Ambient module declarations
 * merge, so another folder of libs/dicom may add what it needs (e.g. `derivations`) in its own
 * `declare module 'dcmjs'` block instead of editing this one.
 */
declare module 'dcmjs' {
  export namespace data {
    /** One denaturalized element: `{ vr: 'UI', Value: [...] }`, keyed by 8-hex-digit tag. */
    interface DicomElement {
      vr: string;
      Value?: unknown[];
      InlineBinary?: string;
      BulkDataURI?: string;
    }
    type DenaturalizedDataset = Record<string, DicomElement>;
    /** A naturalized dataset: DICOM keywords verbatim, `_vrMap` records the VR of ambiguous binary elements. */
    type NaturalizedDataset = Record<string, unknown> & { _vrMap?: Record<string, string> };

    interface ReadOptions {
      ignoreErrors?: boolean;
      untilTag?: string | null;
      includeUntilTagValue?: boolean;
      noCopy?: boolean;
      forceStoreRaw?: boolean;
    }
    interface WriteOptions {
      allowInvalidVRLength?: boolean;
      fragmentMultiframe?: boolean;
    }

    class DicomDict {
      constructor(meta: DenaturalizedDataset);
      meta: DenaturalizedDataset;
      dict: DenaturalizedDataset;
      upsertTag(tag: string, vr: string, values: unknown): void;
      write(options?: WriteOptions): ArrayBuffer;
    }

    class DicomMessage {
      static readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
    }

    class DicomMetaDictionary {
      static naturalizeDataset(dataset: DenaturalizedDataset): NaturalizedDataset;
      static denaturalizeDataset(dataset: NaturalizedDataset): DenaturalizedDataset;
      static uid(): string;
      static date(): string;
      static time(): string;
      static punctuateTag(rawTag: string): string;
      static unpunctuateTag(tag: string): string;
      static dictionary: Record<string, { tag: string; vr: string; name: string; vm: string; version: string }>;
      static nameMap: Record<string, { tag: string; vr: string; name: string; vm: string; version: string }>;
    }
  }

  export namespace log {
    function setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent' | number): void;
    function getLevel(): number;
  }
}

import dcmjs from 'dcmjs';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** A copy of `slices` with fresh Study/Series/SOP Instance UIDs (2.25 UUID-derived, PS3.5 B.2). */
export function reUid(slices: Uint8Array[], index: number): { files: Uint8Array[]; studyInstanceUID: string; seriesInstanceUID: string } {
  const uid = () => `2.25.${BigInt(`0x${crypto.randomUUID().replace(/-/g, '')}`).toString()}`;
  const studyInstanceUID = uid();
  const seriesInstanceUID = uid();
  const files = slices.map((bytes) => {
    const dict = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    // Private groups (odd) go: dcmjs warns on each unknown private tag, and we do not need them.
    for (const tag of Object.keys(dict.dict)) if (parseInt(tag.slice(0, 4), 16) % 2 === 1) delete dict.dict[tag];
    const ds = DicomMetaDictionary.naturalizeDataset(dict.dict) as Record<string, unknown>;
    const sop = uid();
    Object.assign(ds, { StudyInstanceUID: studyInstanceUID, SeriesInstanceUID: seriesInstanceUID, SOPInstanceUID: sop, AccessionNumber: `BENCH${index}` });
    dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
    dict.meta['00020003'] = { vr: 'UI', Value: [sop] };
    return new Uint8Array(dict.write());
  });
  return { files, studyInstanceUID, seriesInstanceUID };
}


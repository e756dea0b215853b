import { DicomParseError } from '../errors';
import type { DicomDataset, StoredPixels } from '../parsing/dicom-dataset';
import { DicomInstance } from '../parsing/dicom-instance';

/**
 * One frame of a multi-frame image seen as a single-frame slice, so that the volume builder runs the
 * same checks (geometry, rescale, localizer, tilt) on Enhanced CT frames as on classic CT slices.
 *
 * `dataset` is the parent's dataset with the frame's functional groups lifted to the top level
 * (see enhanced-ct.ts); `sopInstanceUID` and `sopClassUID` stay the parent's, because a SEG must
 * reference the real instance plus `frameNumber` (ReferencedFrameNumber of the Image SOP Instance
 * Reference Macro, PS3.3 Table 10-3). The pixels are never copied: `decodeFrame(0)` decodes the parent's
 * frame on demand, so the parent keeps owning the compressed or native bytes.
 */
export class FrameSlice extends DicomInstance {
  constructor(
    readonly parent: DicomInstance,
    /** 1-based frame number in the parent, as ReferencedFrameNumber counts frames (PS3.3 Table 10-3). */
    readonly frameNumber: number,
    dataset: DicomDataset,
  ) {
    // The store is the parent's, reached through decodeFrame below; 'none' here only keeps the base
    // class from holding a second reference to it.
    super(dataset, parent.transferSyntaxUID, parent.sopInstanceUID, parent.sopClassUID, parent.pixel && { ...parent.pixel, numberOfFrames: 1 }, { kind: 'none' });
  }

  override hasPixelData(): boolean {
    return this.parent.hasPixelData();
  }

  override frames(): number {
    return this.parent.hasPixelData() ? 1 : 0;
  }

  override async decodeFrame(index: number): Promise<StoredPixels> {
    if (index !== 0) {
      throw new DicomParseError(`Decoding frame ${index} of frame ${this.frameNumber} of SOP Instance ${this.sopInstanceUID} failed: a frame slice has one frame`, this.sopInstanceUID);
    }
    return this.parent.decodeFrame(this.frameNumber - 1);
  }
}

/** "SOP Instance <uid>" or "frame <n> of SOP Instance <uid>": names a slice in refusal messages (UIDs only, no PHI). */
export function describeSlice(instance: Pick<DicomInstance, 'sopInstanceUID'>): string {
  return instance instanceof FrameSlice ? `frame ${instance.frameNumber} of SOP Instance ${instance.sopInstanceUID}` : `SOP Instance ${instance.sopInstanceUID}`;
}

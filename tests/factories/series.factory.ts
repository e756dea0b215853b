import dcmjs from 'dcmjs';

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

type Vec3 = [number, number, number];
type Dataset = Record<string, unknown>;

/** One generated Part-10 file and the facts a test asserts against. */
export interface BuiltInstance {
  readonly bytes: Uint8Array;
  readonly sopInstanceUID: string;
  /** LPS mm, as written into ImagePositionPatient. */
  readonly imagePositionPatient: Vec3;
  /** Index of this slice along the slice normal (0 = first in volume order). */
  readonly sliceIndex: number;
}

export interface BuiltSeries {
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly frameOfReferenceUID: string;
  /** Files in the order they would arrive from a PACS (shuffled when `.shuffled()` was used). */
  readonly instances: BuiltInstance[];
  /** Just the bytes of `instances`, same order. */
  readonly files: Uint8Array[];
  /** The HU every voxel was written with, slice-major in volume order (`z * rows * columns + y * columns + x`). */
  readonly hu: Int16Array;
  readonly rows: number;
  readonly columns: number;
}

/** HU of voxel (x, y, z); z is the index along the slice normal. */
export type HuFunction = (x: number, y: number, z: number) => number;

/**
 * A chest phantom: air outside an elliptic body of soft tissue (40 HU) with two lungs (-850 HU). It
 * gives lung-mask and segmentation code something anatomical to find.
 */
export function chestPhantom(rows: number, columns: number): HuFunction {
  return (x, y) => {
    const u = (x + 0.5) / columns - 0.5;
    const v = (y + 0.5) / rows - 0.5;
    if ((u / 0.45) ** 2 + (v / 0.35) ** 2 > 1) return -1000;
    const lung = (cx: number) => ((u - cx) / 0.16) ** 2 + (v / 0.25) ** 2 <= 1;
    return lung(-0.2) || lung(0.2) ? -850 : 40;
  };
}

/**
 * Fluent builder of real DICOM CT series written by dcmjs: `SeriesFactory.ct().slices(3).build()`.
 * Defaults: 8 axial slices of 32 x 32, 1 x 1 mm pixels, 2.5 mm apart, RescaleIntercept -1024,
 * signed 16-bit, Explicit VR Little Endian, chest phantom pixels. `build()` validates nothing on
 * purpose (tests need broken series too); use `.modify()` to break any attribute of any slice.
 */
export class SeriesFactory {
  private sliceCount = 8;
  private rowCount = 32;
  private columnCount = 32;
  private pixelSpacing: [number, number] = [1, 1];
  private spacing = 2.5;
  private orientation = [1, 0, 0, 0, 1, 0];
  private firstPosition: Vec3 = [-16, -16, -100];
  private slope = 1;
  private intercept = -1024;
  private signed = true;
  private modality = 'CT';
  private transferSyntax = EXPLICIT_VR_LITTLE_ENDIAN;
  private huAt: HuFunction | undefined;
  private shuffle = false;
  private modifiers: Array<(dataset: Dataset, sliceIndex: number) => void> = [];

  static ct(): SeriesFactory {
    return new SeriesFactory();
  }

  slices(count: number): this {
    this.sliceCount = count;
    return this;
  }
  size(rows: number, columns: number): this {
    this.rowCount = rows;
    this.columnCount = columns;
    return this;
  }
  /** PixelSpacing: row spacing (between rows, mm), column spacing (between columns, mm). */
  pixelSpacingMm(rowSpacing: number, columnSpacing: number): this {
    this.pixelSpacing = [rowSpacing, columnSpacing];
    return this;
  }
  sliceSpacingMm(spacing: number): this {
    this.spacing = spacing;
    return this;
  }
  /** ImageOrientationPatient (row direction cosines then column direction cosines, LPS). */
  orientedAs(orientation: number[]): this {
    this.orientation = orientation;
    return this;
  }
  /** ImagePositionPatient of the first slice along the normal, LPS mm. */
  origin(position: Vec3): this {
    this.firstPosition = position;
    return this;
  }
  rescale(slope: number, intercept: number): this {
    this.slope = slope;
    this.intercept = intercept;
    return this;
  }
  unsigned(): this {
    this.signed = false;
    return this;
  }
  withModality(modality: string): this {
    this.modality = modality;
    return this;
  }
  withTransferSyntax(uid: string): this {
    this.transferSyntax = uid;
    return this;
  }
  withHu(huAt: HuFunction): this {
    this.huAt = huAt;
    return this;
  }
  /** Writes the files in a scrambled order with InstanceNumber not following position. */
  shuffled(): this {
    this.shuffle = true;
    return this;
  }
  /** Changes the naturalized dataset of each slice before it is written (`delete ds.PixelData`, tilt, ...). */
  modify(modifier: (dataset: Dataset, sliceIndex: number) => void): this {
    this.modifiers.push(modifier);
    return this;
  }

  build(): BuiltSeries {
    const studyInstanceUID = DicomMetaDictionary.uid();
    const seriesInstanceUID = DicomMetaDictionary.uid();
    const frameOfReferenceUID = DicomMetaDictionary.uid();
    const { rowCount: rows, columnCount: columns } = this;
    const huAt = this.huAt ?? chestPhantom(rows, columns);
    const row = this.orientation.slice(0, 3);
    const col = this.orientation.slice(3, 6);
    const normal: Vec3 = [row[1]! * col[2]! - row[2]! * col[1]!, row[2]! * col[0]! - row[0]! * col[2]!, row[0]! * col[1]! - row[1]! * col[0]!];
    const hu = new Int16Array(rows * columns * this.sliceCount);
    const instances: BuiltInstance[] = [];
    for (let z = 0; z < this.sliceCount; z++) {
      const position = this.firstPosition.map((p, axis) => p + normal[axis]! * this.spacing * z) as Vec3;
      const stored = this.signed ? new Int16Array(rows * columns) : new Uint16Array(rows * columns);
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < columns; x++) {
          const value = Math.round(huAt(x, y, z));
          const storedValue = Math.round((value - this.intercept) / this.slope);
          stored[y * columns + x] = storedValue;
          hu[z * rows * columns + y * columns + x] = Math.round(storedValue * this.slope + this.intercept);
        }
      }
      const sopInstanceUID = DicomMetaDictionary.uid();
      const dataset: Dataset = {
        SOPClassUID: CT_IMAGE_STORAGE,
        SOPInstanceUID: sopInstanceUID,
        StudyInstanceUID: studyInstanceUID,
        SeriesInstanceUID: seriesInstanceUID,
        FrameOfReferenceUID: frameOfReferenceUID,
        PatientName: 'Factory^Phantom',
        PatientID: 'FACTORY-0001',
        PatientBirthDate: '19700101',
        PatientSex: 'O',
        StudyDate: '20260101',
        StudyTime: '120000',
        StudyID: '1',
        AccessionNumber: 'ACC0001',
        ReferringPhysicianName: '',
        Manufacturer: 'covseg test factory',
        Modality: this.modality,
        SeriesNumber: 1,
        InstanceNumber: this.shuffle ? this.sliceCount - z : z + 1,
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        ImagePositionPatient: position,
        ImageOrientationPatient: this.orientation,
        PixelSpacing: this.pixelSpacing,
        SliceThickness: this.spacing,
        Rows: rows,
        Columns: columns,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: this.signed ? 1 : 0,
        RescaleIntercept: this.intercept,
        RescaleSlope: this.slope,
        RescaleType: 'HU',
        PixelData: stored.buffer,
        _vrMap: { PixelData: 'OW' },
      };
      for (const modifier of this.modifiers) modifier(dataset, z);
      instances.push({ bytes: this.write(dataset), sopInstanceUID, imagePositionPatient: position, sliceIndex: z });
    }
    // A fixed, position-scrambling permutation: deterministic tests, but never the geometric order.
    const ordered = this.shuffle ? instances.map((_, i) => instances[(i * 5 + 3) % instances.length]!) : instances;
    if (this.shuffle && new Set(ordered).size !== ordered.length) ordered.splice(0, ordered.length, ...[...instances].reverse());
    return { studyInstanceUID, seriesInstanceUID, frameOfReferenceUID, instances: ordered, files: ordered.map((i) => i.bytes), hu, rows, columns };
  }

  private write(dataset: Dataset): Uint8Array {
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: dataset.SOPClassUID,
      MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
      TransferSyntaxUID: this.transferSyntax,
      ImplementationClassUID: '2.25.140209287563447381129540283470839536245',
      ImplementationVersionName: 'covseg-factory',
    };
    const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
    return new Uint8Array(dict.write());
  }
}

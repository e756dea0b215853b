import { describe, expect, it } from 'vitest';
import { SeriesFacts, classifyKernel, selectSeries } from './series-selection';

const AXIAL = [1, 0, 0, 0, 1, 0];
const CORONAL = [1, 0, 0, 0, 0, -1];

/** Fluent factory for the facts of one series. */
class SeriesFactory {
  private facts: SeriesFacts;
  private constructor(modality: string) {
    SeriesFactory.count += 1;
    this.facts = { seriesInstanceUID: `1.2.3.${SeriesFactory.count}`, seriesNumber: SeriesFactory.count, modality, instances: 100, imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'], imageOrientationPatient: AXIAL, sliceThicknessMm: 2.5, convolutionKernel: 'STANDARD' };
  }
  static count = 0;
  static ct() {
    return new SeriesFactory('CT');
  }
  static of(modality: string) {
    return new SeriesFactory(modality);
  }
  slices(n: number) {
    this.facts.instances = n;
    return this;
  }
  thickness(mm: number | undefined) {
    this.facts.sliceThicknessMm = mm;
    return this;
  }
  kernel(k: string) {
    this.facts.convolutionKernel = k;
    return this;
  }
  orientation(iop: number[]) {
    this.facts.imageOrientationPatient = iop;
    return this;
  }
  localizer() {
    this.facts.imageType = ['ORIGINAL', 'PRIMARY', 'LOCALIZER'];
    return this;
  }
  number(n: number) {
    this.facts.seriesNumber = n;
    return this;
  }
  build(): SeriesFacts {
    return { ...this.facts };
  }
}

describe('selectSeries', () => {
  it('chooses the axial CT series with the most slices over a localizer and a SEG', () => {
    const scout = SeriesFactory.ct().localizer().slices(2).build();
    const seg = SeriesFactory.of('SEG').slices(1).build();
    const thin = SeriesFactory.ct().slices(300).thickness(1.25).build();
    const thick = SeriesFactory.ct().slices(60).thickness(5).build();
    const selection = selectSeries([scout, seg, thick, thin]);
    expect(selection.chosenSeriesInstanceUID).toBe(thin.seriesInstanceUID);
    expect(selection.candidates.find((c) => c.seriesInstanceUID === scout.seriesInstanceUID)?.rejectedBecause).toBe('ImageType contains LOCALIZER');
    expect(selection.candidates.find((c) => c.seriesInstanceUID === seg.seriesInstanceUID)?.rejectedBecause).toBe('Modality is SEG, not CT');
  });

  it('rejects a coronal reformat even when it has the most images', () => {
    const coronal = SeriesFactory.ct().slices(500).orientation(CORONAL).build();
    const axial = SeriesFactory.ct().slices(120).build();
    const selection = selectSeries([coronal, axial]);
    expect(selection.chosenSeriesInstanceUID).toBe(axial.seriesInstanceUID);
    expect(selection.candidates[0].rejectedBecause).toMatch(/^not axial/);
  });

  it('rejects a slice thickness outside the sane range', () => {
    const slab = SeriesFactory.ct().slices(40).thickness(10).build();
    expect(selectSeries([slab]).chosenSeriesInstanceUID).toBeUndefined();
    expect(selectSeries([slab]).candidates[0].rejectedBecause).toBe('SliceThickness 10 mm is outside 0.5-5 mm');
  });

  it('prefers the thinner of two series with the same slice count', () => {
    const a = SeriesFactory.ct().slices(200).thickness(2).build();
    const b = SeriesFactory.ct().slices(200).thickness(1).build();
    expect(selectSeries([a, b]).chosenSeriesInstanceUID).toBe(b.seriesInstanceUID);
  });

  it('prefers the soft kernel when slices and thickness tie', () => {
    const lung = SeriesFactory.ct().kernel('LUNG').number(2).build();
    const soft = SeriesFactory.ct().kernel('B30f').number(3).build();
    expect(selectSeries([lung, soft]).chosenSeriesInstanceUID).toBe(soft.seriesInstanceUID);
  });

  it('returns no choice but every verdict when the study has no CT', () => {
    const selection = selectSeries([SeriesFactory.of('MR').build()]);
    expect(selection.chosenSeriesInstanceUID).toBeUndefined();
    expect(selection.candidates).toHaveLength(1);
    expect(selection.rules.length).toBeGreaterThan(3);
  });
});

describe('classifyKernel', () => {
  it.each([
    ['STANDARD', 'soft'],
    ['LUNG', 'lung'],
    ['B70f', 'lung'],
    ['B31f', 'soft'],
    ['FC51', 'lung'],
    ['FC13', 'soft'],
    ['XYZ', 'unknown'],
  ])('classifies %s as %s', (kernel, expected) => {
    expect(classifyKernel(kernel)).toBe(expected);
  });
});

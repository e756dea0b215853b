import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelContractError } from '../errors';
import { parseModelContract } from './model-contract';
import { readOnnxMetadataProps } from './onnx-metadata';

const tiny = join(__dirname, '../../test-support/tiny-covseg.onnx');
const multiclass = join(__dirname, '../../test-support/tiny-covseg-multiclass.onnx');
const props = () => new Map(readOnnxMetadataProps(readFileSync(tiny), tiny));

describe('parseModelContract', () => {
  it('turns the volume-only small-component filter off when covseg.min_component_ml is absent', () => {
    const meta = props();
    meta.delete('covseg.min_component_ml');
    expect(parseModelContract(meta, tiny).minComponentMl).toBe(0);
  });

  it('reads covseg.min_component_ml when present', () => {
    const meta = props();
    meta.set('covseg.min_component_ml', '0.5');
    expect(parseModelContract(meta, tiny).minComponentMl).toBe(0.5);
  });

  it('refuses a negative covseg.min_component_ml, naming the key', () => {
    const meta = props();
    meta.set('covseg.min_component_ml', '-1');
    expect(() => parseModelContract(meta, tiny)).toThrow(ModelContractError);
    expect(() => parseModelContract(meta, tiny)).toThrow(/covseg\.min_component_ml/);
  });

  it('reads a binary model (no covseg.classes) without classes', () => {
    const contract = parseModelContract(props(), tiny);
    expect(contract.classes).toBeUndefined();
    expect(contract.consolidationThreshold).toBeUndefined();
  });

  it('reads the classes and the consolidation threshold of a multi-class model', () => {
    const contract = parseModelContract(new Map(readOnnxMetadataProps(readFileSync(multiclass), multiclass)), multiclass);
    expect(contract.classes).toEqual(['ggo', 'consolidation']);
    expect(contract.consolidationThreshold).toBe(0.5);
  });

  it.each([
    ['consolidation,ggo', '0.5', /covseg\.classes is "consolidation,ggo"/],
    ['ggo', '0.5', /covseg\.classes/],
    ['ggo,consolidation,effusion', '0.5', /covseg\.classes/],
    ['ggo,consolidation', '0', /covseg\.consolidation_threshold has the invalid value "0"/],
    ['ggo,consolidation', '1.5', /covseg\.consolidation_threshold/],
    ['ggo,consolidation', 'high', /covseg\.consolidation_threshold/],
    ['ggo,consolidation', undefined, /covseg\.consolidation_threshold is missing/],
  ])('refuses classes "%s" with consolidation threshold %s, naming the key', (classes, threshold, message) => {
    const meta = props();
    meta.set('covseg.classes', classes);
    if (threshold !== undefined) meta.set('covseg.consolidation_threshold', threshold);
    expect(() => parseModelContract(meta, tiny)).toThrow(ModelContractError);
    expect(() => parseModelContract(meta, tiny)).toThrow(message);
  });

  it('refuses a consolidation threshold without classes', () => {
    const meta = props();
    meta.set('covseg.consolidation_threshold', '0.5');
    expect(() => parseModelContract(meta, tiny)).toThrow(/covseg\.consolidation_threshold is set but covseg\.classes is missing/);
  });
});

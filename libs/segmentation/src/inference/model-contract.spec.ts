import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelContractError } from '../errors';
import { parseModelContract } from './model-contract';
import { readOnnxMetadataProps } from './onnx-metadata';

const tiny = join(__dirname, '../../test-support/tiny-covseg.onnx');
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
});

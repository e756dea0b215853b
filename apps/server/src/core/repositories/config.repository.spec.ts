import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, findAppRoot, loadConfig } from './config.repository';

describe('loadConfig', () => {
  it('fills the documented defaults and resolves paths against the root', () => {
    const config = loadConfig({}, '/srv/covseg');
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/srv/covseg/.var/server',
      databasePath: '/srv/covseg/.var/server/covseg.sqlite',
      modelPath: '/srv/covseg/models/covseg-unet.onnx',
      executionProvider: 'cpu',
      ortThreads: undefined,
      inferenceThread: 'worker',
      jobConcurrency: 1,
      viewerDist: '/srv/covseg/apps/viewer/dist',
    });
  });

  it('leaves the DICOM listener off unless DICOM_PORT is set, with AE title COVSEG', () => {
    const config = loadConfig({}, '/srv');
    expect(config.dicom).toBeUndefined();
    expect(config.dicomAeTitle).toBe('COVSEG');
  });

  it('configures the DICOM listener from DICOM_* with documented defaults', () => {
    const config = loadConfig({ DICOM_PORT: '11112', DATA_DIR: '/data', DICOM_AE_TITLE: 'AI_NODE' }, '/srv');
    expect(config.dicomAeTitle).toBe('AI_NODE');
    expect(config.dicom).toEqual({
      port: 11112,
      host: '127.0.0.1',
      stableSeconds: 30,
      maxInstanceBytes: 1024 * 1024 * 1024,
      storeMaxBytes: 20 * 1024 ** 3,
      maxAssociations: 8,
      timeoutMs: 60_000,
      storeDir: '/data/dimse',
    });
    expect(loadConfig({ DICOM_PORT: '104', HOST: '0.0.0.0' }).dicom?.host).toBe('0.0.0.0');
    expect(loadConfig({ DICOM_PORT: '104', HOST: '0.0.0.0', DICOM_HOST: '10.1.2.3' }).dicom?.host).toBe('10.1.2.3');
  });

  it('asks the PACS to transcode lossless compressed series unless RETRIEVE_TRANSFER_SYNTAX=as-stored', () => {
    expect(loadConfig({}).retrieveTransferSyntax).toBe('auto');
    expect(loadConfig({ RETRIEVE_TRANSFER_SYNTAX: 'as-stored' }).retrieveTransferSyntax).toBe('as-stored');
  });

  it('keeps absolute paths as given', () => {
    expect(loadConfig({ DATA_DIR: '/data/covseg' }, '/srv').dataDir).toBe('/data/covseg');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['JOB_CONCURRENCY', '0'],
    ['ORT_THREADS', '1.5'],
    ['JOB_TIMEOUT_MS', '-1'],
    ['ORT_INFERENCE_THREAD', 'gpu'],
    ['RETRIEVE_TRANSFER_SYNTAX', 'always'],
    ['DICOM_PORT', '0'],
    ['DICOM_PORT', 'dicom'],
    ['DICOM_AE_TITLE', 'A_TITLE_LONGER_THAN_16'],
    ['DICOM_AE_TITLE', 'BACK\\SLASH'],
  ])('refuses %s=%s with a message naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`^Invalid environment variable ${key}=`));
  });

  it('refuses an execution provider onnxruntime-node does not know, listing the valid ones', () => {
    expect(() => loadConfig({ ORT_EXECUTION_PROVIDER: 'tensorrt' })).toThrow('ORT_EXECUTION_PROVIDER="tensorrt": expected one of cpu, cuda, webgpu');
  });

  it('refuses a path variable that is set but empty', () => {
    expect(() => loadConfig({ MODEL_PATH: ' ' })).toThrow('Invalid environment variable MODEL_PATH: it is set but empty');
  });

  it('refuses the old name ORT_THREAD at boot, naming the new one', () => {
    expect(() => loadConfig({ ORT_THREAD: 'main' }, '/srv')).toThrow(/ORT_THREAD was renamed to ORT_INFERENCE_THREAD/);
    expect(loadConfig({ ORT_INFERENCE_THREAD: 'main', ORT_THREADS: '2' }, '/srv')).toMatchObject({ inferenceThread: 'main', ortThreads: 2 });
  });

  it('resolves relative paths against the app root found from its own location, not the working directory', () => {
    const repoRoot = resolve(__dirname, '../../../../..');
    expect(findAppRoot()).toBe(repoRoot);
    const before = process.cwd();
    try {
      process.chdir(tmpdir());
      expect(loadConfig({}).modelPath).toBe(join(repoRoot, 'models/covseg-unet.onnx'));
    } finally {
      process.chdir(before);
    }
  });

  it('finds the app root by its package.json from deep inside a deployed copy, and refuses relative paths without one', () => {
    const top = mkdtempSync(join(tmpdir(), 'covseg-root-'));
    try {
      const deep = join(top, 'app/dist/apps/server/src/core/repositories');
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(top, 'app/package.json'), JSON.stringify({ name: 'covseg' }));
      writeFileSync(join(top, 'app/dist/package.json'), JSON.stringify({ name: 'something-else' }));
      expect(findAppRoot(deep)).toBe(join(top, 'app'));
      expect(findAppRoot(top)).toBeUndefined();
      expect(() => loadConfig({}, null)).toThrow(/DATA_DIR=".var\/server": a relative path needs the app root/);
      expect(loadConfig({ DATA_DIR: '/d', MODEL_PATH: '/m.onnx', VIEWER_DIST: '/v' }, null).modelPath).toBe('/m.onnx');
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});

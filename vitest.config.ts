import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC instead of esbuild: NestJS dependency injection needs emitDecoratorMetadata.
const alias = {
  '@covseg/dicom': resolve(__dirname, 'libs/dicom/src/index.ts'),
  '@covseg/segmentation': resolve(__dirname, 'libs/segmentation/src/index.ts'),
};
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['libs/**/src/**/*.spec.ts', 'apps/server/src/**/*.spec.ts', 'apps/viewer/src/**/*.spec.ts', 'bench/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'medium',
          include: ['tests/medium/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

// Import boundaries from STYLE.md: apps import libs, libs never import apps, NestJS, the DOM or
// process.env; each vendor library has exactly one owner folder. A crossing fails `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vendorOwners = [
  { name: 'dcmjs', owner: 'libs/dicom' },
  // dcmjs-dimse (DIMSE networking) brings its own nested dcmjs 0.50; only the DIMSE gateway may import it.
  { name: 'dcmjs-dimse', owner: 'libs/dicom/src/dimse' },
  { name: 'onnxruntime-node', owner: 'libs/segmentation/src/inference' },
  { name: 'onnxruntime-common', owner: 'libs/segmentation/src/inference' },
  // The pixel codecs (WebAssembly builds, imported by subpath): only libs/dicom decodes frames; the server
  // and the viewer's fallback get decoded frames from it (HTJ2K's OpenJPH included, issue 11).
  { name: '@cornerstonejs/codec-openjph/wasmjs', owner: 'libs/dicom' },
  { name: '@cornerstonejs/codec-openjpeg/decodewasmjs', owner: 'libs/dicom' },
  { name: '@cornerstonejs/codec-charls/decodewasmjs', owner: 'libs/dicom' },
  { name: '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', owner: 'libs/dicom' },
  { name: 'cornerstone-core', owner: 'apps/viewer/src/rendering' },
  { name: 'cornerstone-math', owner: 'apps/viewer/src/rendering' },
  // The database drivers: only the database port's adapters (SQLite embedded, PostgreSQL scaled).
  { name: 'better-sqlite3', owner: 'apps/server/src/core/database' },
  { name: 'pg', owner: 'apps/server/src/core/database' },
  // sharp (libvips) decodes uploads and draws PNGs and key images; only the image I/O folder may import it.
  { name: 'sharp', owner: 'libs/segmentation/src/image-io' },
  // The job queue (BullMQ on Redis, scaled mode): one gateway to Redis, behind the jobs module's queue port.
  { name: 'bullmq', owner: 'apps/server/src/jobs/queue' },
  { name: '@nestjs/bullmq', owner: 'apps/server/src/jobs/queue' },
  { name: 'ioredis', owner: 'apps/server/src/jobs/queue' },
  // One prom-client Registry for the server's /metrics; other modules count through MetricsService.
  { name: 'prom-client', owner: 'apps/server/src/metrics' },
];

const restrict = (paths, patterns = []) => ['error', { paths, patterns }];
const vendorRule = (name, owner) => ({ name, message: `${name} belongs to ${owner} (STYLE.md: one owner folder per vendor library).` });

/** Vendor libraries a file outside their owner folder may not import. */
function vendorsNotOwnedBy(folder) {
  return vendorOwners.filter((v) => !folder.startsWith(v.owner)).map((v) => vendorRule(v.name, v.owner));
}

// The server's NestJS modules (folders of apps/server/src) and the modules each may import: the module
// graph runs one way, bottom to top. A module missing from this list may import nothing of the others.
// Add a module here with the modules below it; never add an upward edge (module-graph.spec.ts also
// fails on any loop). The composition root (app.module.ts, app.setup.ts, main.ts, error.filter.ts)
// may import every module, and no module imports it.
const serverModules = {
  core: [],
  audit: ['core'],
  auth: ['core', 'audit'],
  metrics: ['core'],
  model: ['core'],
  pacs: ['core', 'audit', 'metrics'],
  dimse: ['core', 'metrics', 'pacs'],
  jobs: ['core', 'audit', 'metrics', 'model', 'pacs', 'dimse'],
  watcher: ['core', 'audit', 'metrics', 'pacs', 'jobs'],
  review: ['core', 'audit', 'pacs', 'jobs'],
  'viewer-api': ['core', 'metrics', 'model', 'pacs', 'jobs', 'review'],
  health: ['core', 'model', 'pacs', 'dimse', 'jobs'],
};
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Import patterns a file of server module `name` may not use: modules above it, the composition root, other modules' controllers. */
function serverModulePatterns(name) {
  const allowed = new Set([name, ...serverModules[name]]);
  const forbidden = Object.keys(serverModules).filter((other) => !allowed.has(other));
  const patterns = [
    { regex: '^(\\.\\./)+(app\\.module|app\\.setup|main|error\\.filter)$', message: 'Modules never import the composition root.' },
    { regex: '^(\\.\\./)+[a-z-]+/controllers/', message: 'Controllers are entry points: another module uses what a module exports (services, repositories), never its controllers.' },
  ];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^(\\.\\./)+(${forbidden.map(escapeRegex).join('|')})(/|$)`,
      message: `Module ${name} may import only ${[...allowed].join(', ')} (eslint.config.mjs serverModules: the module graph runs one way).`,
    });
  }
  return patterns;
}

const libForbidden = {
  patterns: [
    { group: ['@nestjs/*'], message: 'Libraries never import NestJS.' },
    { group: ['**/apps/**', 'apps/*'], message: 'Libraries never import apps.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'apps/viewer/dist/**', 'training/**', 'coverage/**', '.var/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  {
    files: ['libs/dicom/**/*.ts'],
    ignores: ['libs/dicom/src/dimse/**'],
    rules: {
      'no-restricted-imports': restrict(
        [...vendorsNotOwnedBy('libs/dicom'), { name: '@covseg/segmentation', message: 'libs/dicom and libs/segmentation are independent.' }],
        libForbidden.patterns,
      ),
      'no-restricted-globals': ['error', { name: 'window', message: 'Libraries never touch the DOM.' }, { name: 'document', message: 'Libraries never touch the DOM.' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Libraries take options, not process.env.' }],
    },
  },
  {
    files: ['libs/dicom/src/dimse/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [...vendorsNotOwnedBy('libs/dicom/src/dimse'), { name: '@covseg/segmentation', message: 'libs/dicom and libs/segmentation are independent.' }],
        libForbidden.patterns,
      ),
      'no-restricted-globals': ['error', { name: 'window', message: 'Libraries never touch the DOM.' }, { name: 'document', message: 'Libraries never touch the DOM.' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Libraries take options, not process.env.' }],
    },
  },
  {
    files: ['libs/segmentation/src/**/*.ts'],
    ignores: ['libs/segmentation/src/inference/**', 'libs/segmentation/src/cli/**', 'libs/segmentation/src/image-io/**'],
    rules: {
      'no-restricted-imports': restrict(
        [...vendorsNotOwnedBy('libs/segmentation/src/preprocess'), { name: '@covseg/dicom', message: 'libs/segmentation works on typed arrays and geometry, not DICOM (STYLE.md).' }],
        libForbidden.patterns,
      ),
      'no-restricted-globals': ['error', { name: 'window', message: 'Libraries never touch the DOM.' }, { name: 'document', message: 'Libraries never touch the DOM.' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Libraries take options, not process.env.' }],
    },
  },
  {
    files: ['libs/segmentation/src/image-io/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [...vendorsNotOwnedBy('libs/segmentation/src/image-io'), { name: '@covseg/dicom', message: 'libs/segmentation does not import libs/dicom.' }],
        libForbidden.patterns,
      ),
      'no-restricted-globals': ['error', { name: 'window', message: 'Libraries never touch the DOM.' }, { name: 'document', message: 'Libraries never touch the DOM.' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Libraries take options, not process.env.' }],
    },
  },
  {
    files: ['libs/segmentation/src/inference/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [...vendorsNotOwnedBy('libs/segmentation/src/inference'), { name: '@covseg/dicom', message: 'libs/segmentation does not import libs/dicom.' }],
        libForbidden.patterns,
      ),
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Libraries take options, not process.env.' }],
    },
  },
  {
    files: ['apps/server/src/*.ts'],
    rules: {
      'no-restricted-imports': restrict(vendorsNotOwnedBy('apps/server/src')),
    },
  },
  ...Object.keys(serverModules).map((name) => ({
    files: [`apps/server/src/${name}/**/*.ts`],
    ignores: name === 'core' ? ['apps/server/src/core/database/**'] : [],
    rules: {
      'no-restricted-imports': restrict(vendorsNotOwnedBy(`apps/server/src/${name}`), serverModulePatterns(name)),
    },
  })),
  {
    // The BullMQ adapter: the only place that talks to Redis; otherwise the jobs module's own rules.
    files: ['apps/server/src/jobs/queue/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(vendorsNotOwnedBy('apps/server/src/jobs/queue'), serverModulePatterns('jobs')),
    },
  },
  {
    files: ['apps/server/src/core/database/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(vendorsNotOwnedBy('apps/server/src/core/database'), serverModulePatterns('core')),
    },
  },
  {
    // A folder of apps/server/src that is not a declared module fails lint until it is added to serverModules.
    files: ['apps/server/src/*/**/*.ts'],
    ignores: Object.keys(serverModules).map((name) => `apps/server/src/${name}/**`),
    rules: {
      'no-restricted-syntax': ['error', { selector: 'Program', message: 'A new folder of apps/server/src is a new module: declare it in serverModules (eslint.config.mjs).' }],
    },
  },
  {
    files: ['apps/viewer/src/**/*.ts'],
    ignores: ['apps/viewer/src/rendering/**'],
    rules: {
      'no-restricted-imports': restrict(
        [...vendorsNotOwnedBy('apps/viewer/src/api'), { name: '@covseg/dicom', message: 'The viewer reaches the server only over HTTP.' }],
        [{ group: ['**/apps/server/**', '**/libs/**'], message: 'The viewer reaches the server only over HTTP.' }],
      ),
    },
  },
  {
    files: ['apps/viewer/src/rendering/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(vendorsNotOwnedBy('apps/viewer/src/rendering')),
    },
  },
  {
    // Plain Node scripts (no TypeScript type information to tell ESLint about Node's globals).
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);

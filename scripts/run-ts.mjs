// Runs a TypeScript entry point (e.g. `npm run evaluate`) on a fresh clone without a build step:
// .ts files are transpiled on require with @swc/core (already a dev dependency for vitest), and the
// tsconfig path aliases (@covseg/*) are resolved from tsconfig.json, so there is one source of truth.
// Usage: node scripts/run-ts.mjs path/to/entry.ts [args...]
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.mjs <entry.ts> [args...]\n');
  process.exit(2);
}

const { compilerOptions } = JSON.parse(readFileSync(resolve(root, 'tsconfig.json'), 'utf8'));
const aliases = new Map(
  Object.entries(compilerOptions.paths ?? {}).map(([name, [target]]) => [name, resolve(root, compilerOptions.baseUrl ?? '.', target)]),
);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

Module._extensions['.ts'] = function (module, filename) {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
  });
  module._compile(code, filename);
};

process.argv = [process.argv[0], resolve(entry), ...args];
require(resolve(entry));

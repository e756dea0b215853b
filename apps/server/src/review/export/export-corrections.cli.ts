// `npm run export-corrections -- --out DIR [--endpoint ID] [--model FILE]`
// Reads DATA_DIR (default .var/server) like the server; prints the summary as one JSON object on the LAST line.
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { parseModelContract, readOnnxMetadataProps } from '@covseg/segmentation';
import { APP_CONFIG, AppConfig, loadConfig } from '../../core/repositories/config.repository';
import { CorrectionExportModule } from './correction-export.module';
import { CorrectionExportService } from './correction-export.service';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, endpoint: { type: 'string' }, model: { type: 'string' } },
    strict: true,
  });
  if (!values.out) {
    process.stderr.write('usage: npm run export-corrections -- --out DIR [--endpoint PACS_ENDPOINT_ID] [--model FILE]\n');
    process.exitCode = 2;
    return;
  }
  // Never create an empty database (or a new secret key) where the server keeps none.
  const { databasePath } = loadConfig(process.env);
  if (!existsSync(databasePath)) {
    process.stderr.write(`export-corrections: no server database at ${databasePath}; set DATA_DIR to the server's data folder\n`);
    process.exitCode = 2;
    return;
  }
  const app = await NestFactory.createApplicationContext(CorrectionExportModule, { logger: ['error', 'warn', 'log'] });
  try {
    const config = app.get<AppConfig>(APP_CONFIG);
    // The framing contract is the served model's (MODEL_PATH), the one a fine-tune starts from.
    const modelPath = values.model ? resolve(values.model) : config.modelPath;
    const contract = parseModelContract(readOnnxMetadataProps(new Uint8Array(readFileSync(modelPath)), modelPath), modelPath);
    const manifest = await app.get(CorrectionExportService).export(resolve(values.out), contract, values.endpoint ? { endpointId: values.endpoint } : {});
    const failed = manifest.corrections.filter((c) => c.error).length;
    const reasons = (r: string) => manifest.pairs.filter((p) => p.reason === r).length;
    process.stdout.write(
      `${JSON.stringify({ out: resolve(values.out), corrections: manifest.corrections.length, failed, pairs: manifest.pairs.length, infection: reasons('infection'), emptied: reasons('emptied'), framing: `${contract.name} ${contract.version}` })}\n`,
    );
    if (failed > 0) process.exitCode = 1;
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`export-corrections failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

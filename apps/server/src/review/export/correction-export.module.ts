import { Module } from '@nestjs/common';
import { CoreModule } from '../../core/core.module';
import { PacsModule } from '../../pacs/pacs.module';
import { CorrectionRepository } from '../repositories/correction.repository';
import { CorrectionExportService } from './correction-export.service';

/**
 * What `npm run export-corrections` boots: the server's config, database, secret cipher and PACS
 * endpoints (CoreModule), and the review module's correction records and PACS clients. No HTTP, no jobs,
 * no model session: it runs beside a running server on the same DATA_DIR (SQLite WAL).
 */
@Module({
  imports: [CoreModule, PacsModule],
  providers: [CorrectionRepository, CorrectionExportService],
})
export class CorrectionExportModule {}

import { Controller, Get, Header, Inject } from '@nestjs/common';
import { MetricsService } from '../services/metrics.service';

/** Prometheus scrape target; needs a token like every route (Prometheus: `authorization.credentials_file`). */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.render();
  }
}

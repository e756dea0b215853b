import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { MetricsController } from './controllers/metrics.controller';
import { HttpMetricsMiddleware } from './guards/http-metrics.middleware';
import { MetricsService } from './services/metrics.service';

/** Prometheus `/metrics` and the HTTP request metrics. Exports MetricsService for the modules that count things. */
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}

import { Injectable } from '@nestjs/common';
import { HealthDto } from '../dtos/health.dto';

@Injectable()
export class HealthService {
  async getHealth(): Promise<HealthDto> {
    return { status: 'ok', pacsEndpoints: [], model: null };
  }
}

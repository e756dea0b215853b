import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

export const OUTBOX_STATUSES = ['pending', 'delivered', 'failed'] as const;

export class ListOutboxQueryDto {
  @ApiPropertyOptional({ enum: OUTBOX_STATUSES })
  @IsOptional()
  @IsIn(OUTBOX_STATUSES)
  status?: (typeof OUTBOX_STATUSES)[number];

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class OutboxIdParamsDto {
  @IsUUID()
  id!: string;
}

/** One outbox entry as an admin sees it: UIDs, state and the last error; never patient data or bytes. */
export class OutboxEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty() jobId!: string;
  @ApiProperty() pacsEndpointId!: string;
  @ApiProperty() studyInstanceUID!: string;
  @ApiProperty() sourceSeriesInstanceUID!: string;
  @ApiProperty() segSeriesInstanceUID!: string;
  @ApiProperty() segSopInstanceUID!: string;
  @ApiProperty({ type: String, nullable: true }) srSopInstanceUID!: string | null;
  @ApiProperty({ enum: OUTBOX_STATUSES }) status!: (typeof OUTBOX_STATUSES)[number];
  @ApiProperty({ description: 'Failed deliveries since the entry was written or last re-delivered' }) attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last delivery failed (operation and URL, no patient data)' }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) failedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) deliveredAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'Bytes of the objects (SEG, key images, SR)' }) byteLength!: number;
  @ApiProperty({ description: 'False once the payload was deleted (retention): it can no longer be re-delivered' }) payloadAvailable!: boolean;
}

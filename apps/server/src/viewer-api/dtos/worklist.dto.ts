import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';

export const WORKLIST_OUTCOMES = ['new', 'reused', 'failed', 'running', 'queued', 'cancelled'] as const;
export type WorklistOutcome = (typeof WORKLIST_OUTCOMES)[number];

export class WorklistQueryDto {
  @ApiPropertyOptional({ enum: WORKLIST_OUTCOMES, description: 'Only rows with this outcome' })
  @IsOptional()
  @IsIn(WORKLIST_OUTCOMES)
  outcome?: WorklistOutcome;

  @ApiPropertyOptional({ enum: ['ai', 'reviewed', 'rejected'], description: 'Only rows with this review status' })
  @IsOptional()
  @IsIn(['ai', 'reviewed', 'rejected'])
  review?: 'ai' | 'reviewed' | 'rejected';

  @ApiPropertyOptional({ description: 'Jobs created on or after this day, YYYY-MM-DD' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be YYYY-MM-DD' })
  from?: string;

  @ApiPropertyOptional({ description: 'Jobs created on or before this day, YYYY-MM-DD' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be YYYY-MM-DD' })
  to?: string;
}

export class WorklistRowDto {
  @ApiProperty() jobId!: string;
  @ApiProperty() pacsEndpointId!: string;
  @ApiProperty() studyInstanceUID!: string;
  @ApiPropertyOptional({ nullable: true }) seriesInstanceUID!: string | null;
  @ApiProperty({ description: 'From the PACS (QIDO-RS); empty when the PACS did not answer' }) patientId!: string;
  @ApiProperty({ description: 'YYYYMMDD' }) studyDate!: string;
  @ApiProperty() accessionNumber!: string;
  @ApiProperty() studyDescription!: string;
  @ApiProperty({ enum: WORKLIST_OUTCOMES, description: 'new: this job stored a SEG; reused: an earlier SEG was returned; failed, running, queued, cancelled' })
  outcome!: WorklistOutcome;
  @ApiPropertyOptional({ nullable: true, description: 'Failed jobs: code and message; reused: where the earlier SEG was found' }) reason!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Infection / lung x 100: of the newest correction when a reader corrected it, else of the job' }) involvementPercent!: number | null;
  @ApiPropertyOptional({ nullable: true, description: "Multi-class results: ground-glass opacity and consolidation / lung x 100 of the job; null for a binary model, no result, or a corrected study" })
  classInvolvementPercent!: { ggo: number; consolidation: number } | null;
  @ApiPropertyOptional({ enum: ['ai', 'reviewed', 'rejected'], nullable: true, description: 'null: no result to review' }) reviewStatus!: 'ai' | 'reviewed' | 'rejected' | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true }) finishedAt!: string | null;
}

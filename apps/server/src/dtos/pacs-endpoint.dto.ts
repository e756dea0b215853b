import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Max, MaxLength, Min } from 'class-validator';

export const PACS_AUTH_TYPES = ['none', 'basic', 'bearer'] as const;
export type PacsAuthType = (typeof PACS_AUTH_TYPES)[number];

export class CreatePacsEndpointDto {
  @ApiProperty({ example: 'Local Orthanc' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @ApiProperty({ example: 'http://127.0.0.1:8042/dicom-web', description: 'DICOMweb root (QIDO/WADO/STOW share it)' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'baseUrl must be an http(s) URL' })
  @MaxLength(2000)
  baseUrl!: string;

  @ApiProperty({ enum: PACS_AUTH_TYPES, default: 'none' })
  @IsIn(PACS_AUTH_TYPES)
  authType: PacsAuthType = 'none';

  @ApiPropertyOptional({ description: 'Required for basic auth' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  username?: string;

  @ApiPropertyOptional({ description: 'Password (basic) or token (bearer). Write-only: never returned.', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  secret?: string;

  @ApiPropertyOptional({ description: 'Per-request timeout in ms', default: 30_000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeoutMs?: number;

  @ApiPropertyOptional({ description: 'Also store Secondary Capture key images (overlay burnt in, NOT FOR DIAGNOSIS) with each result, for PACS viewers that cannot show SEG', default: false })
  @IsOptional()
  @IsBoolean()
  keyImages?: boolean;
}

export class UpdatePacsEndpointDto extends PartialType(CreatePacsEndpointDto) {}

export class PacsEndpointResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() baseUrl!: string;
  @ApiProperty({ enum: PACS_AUTH_TYPES }) authType!: PacsAuthType;
  @ApiPropertyOptional() username?: string;
  @ApiProperty({ description: 'Whether a secret is stored; the secret itself is never returned' }) hasSecret!: boolean;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty({ description: 'Secondary Capture key images are stored with each result' }) keyImages!: boolean;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class PacsServiceCheckDto {
  @ApiProperty() ok!: boolean;
  @ApiPropertyOptional() status?: number;
  @ApiProperty() latencyMs!: number;
  @ApiPropertyOptional() error?: string;
}

export class PacsEndpointTestResultDto {
  @ApiProperty({ type: PacsServiceCheckDto, description: 'QIDO-RS: GET {base}/studies?limit=1' }) qido!: PacsServiceCheckDto;
  @ApiProperty({ type: PacsServiceCheckDto, description: 'WADO-RS: metadata of one study, when the PACS has any' }) wado!: PacsServiceCheckDto;
  @ApiProperty({ type: PacsServiceCheckDto, description: 'STOW-RS: an empty multipart POST; any answer but 404/405/5xx means the service exists' }) stow!: PacsServiceCheckDto;
}

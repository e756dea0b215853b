import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min } from 'class-validator';

/**
 * No control characters (C0, DEL) in credentials: they end up in an HTTP header, where CR/LF would
 * split it (RFC 9110 §5.5) and fetch throws on every request; refuse them at input instead.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f]*$/;

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

  // No initializer here: PartialType copies property initializers into UpdatePacsEndpointDto, so a
  // PATCH without authType would reset it to 'none' and wipe the credentials. The service defaults it.
  @ApiPropertyOptional({ enum: PACS_AUTH_TYPES, default: 'none' })
  @IsOptional()
  @IsIn(PACS_AUTH_TYPES)
  authType?: PacsAuthType;

  @ApiPropertyOptional({ description: 'Required for basic auth' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  // RFC 7617 §2: the user-id of basic auth cannot contain a colon.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  @Matches(/^[^:\x00-\x1f\x7f]*$/, { message: 'username must not contain a colon or control characters' })
  username?: string;

  @ApiPropertyOptional({ description: 'Password (basic) or token (bearer). Write-only: never returned.', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'secret must not contain control characters (CR, LF, NUL, ...)' })
  secret?: string;

  @ApiPropertyOptional({ description: 'Per-request timeout in ms', default: 30_000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeoutMs?: number;
}

export class UpdatePacsEndpointDto extends PartialType(CreatePacsEndpointDto) {
  @ApiPropertyOptional({
    description:
      'false disables the endpoint: it keeps its job history and credentials, leaves health reports and takes no new jobs (the way to retire a PACS that jobs refer to); true enables it again',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class PacsEndpointResponseDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() baseUrl!: string;
  @ApiProperty({ enum: PACS_AUTH_TYPES }) authType!: PacsAuthType;
  @ApiPropertyOptional() username?: string;
  @ApiProperty({ description: 'Whether a secret is stored; the secret itself is never returned' }) hasSecret!: boolean;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty({ description: 'false once an admin disabled it (PATCH enabled:false)' }) enabled!: boolean;
  @ApiPropertyOptional() disabledAt?: string;
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

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
export const RESULT_TRANSPORTS = ['stow', 'c-store'] as const;

/** PS3.5 6.2 AE: 1-16 characters, no backslash or control characters; leading/trailing spaces are not significant. */
const AE_TITLE = /^(?! *$)[\x20-\x5b\x5d-\x7e]{1,16}$/;
/** A host name or an IPv4/IPv6 literal; nothing that could smuggle a path or options. */
const HOST = /^[A-Za-z0-9.:-]{1,253}$/;

export class CreatePacsEndpointDto {
  @ApiProperty({ example: 'Local Orthanc' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({
    example: 'http://127.0.0.1:8042/dicom-web',
    description: 'DICOMweb root (QIDO/WADO/STOW share it). Omit for a PACS reached over DIMSE only; null clears it.',
    nullable: true,
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'baseUrl must be an http(s) URL' })
  @MaxLength(2000)
  baseUrl?: string | null;

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

  @ApiPropertyOptional({ description: 'Also store Secondary Capture key images (overlay burnt in, NOT FOR DIAGNOSIS) with each result, for PACS viewers that cannot show SEG', default: false })
  @IsOptional()
  @IsBoolean()
  keyImages?: boolean;

  @ApiPropertyOptional({
    example: 'ORTHANC',
    description: "The PACS's DICOM AE title. Set, it may push to our C-STORE SCP (calling AE title) and is the called AE of our C-STORE/C-ECHO. Unique across endpoints; null clears it.",
    nullable: true,
  })
  @IsOptional()
  @Matches(AE_TITLE, { message: 'dicomAeTitle must be 1 to 16 printable ASCII characters without a backslash' })
  dicomAeTitle?: string | null;

  @ApiPropertyOptional({ example: '127.0.0.1', description: "Host of the PACS's DICOM port (for C-STORE of results and C-ECHO)", nullable: true })
  @IsOptional()
  @Matches(HOST, { message: 'dicomHost must be a host name or an IP address' })
  dicomHost?: string | null;

  @ApiPropertyOptional({ example: 4242, description: "The PACS's DICOM port", nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  dicomPort?: number | null;

  @ApiPropertyOptional({ enum: RESULT_TRANSPORTS, default: 'stow', description: 'How results (SEG) go back: STOW-RS to baseUrl, or C-STORE to dicomHost:dicomPort' })
  @IsOptional()
  @IsIn(RESULT_TRANSPORTS)
  resultTransport?: (typeof RESULT_TRANSPORTS)[number];
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
  @ApiProperty({ type: String, nullable: true, description: 'null for a PACS reached over DIMSE only' }) baseUrl!: string | null;
  @ApiProperty({ enum: PACS_AUTH_TYPES }) authType!: PacsAuthType;
  @ApiPropertyOptional() username?: string;
  @ApiProperty({ description: 'Whether a secret is stored; the secret itself is never returned' }) hasSecret!: boolean;
  @ApiProperty() timeoutMs!: number;
  @ApiProperty({ description: 'Secondary Capture key images are stored with each result' }) keyImages!: boolean;
  @ApiProperty({ description: 'false once an admin disabled it (PATCH enabled:false)' }) enabled!: boolean;
  @ApiPropertyOptional() disabledAt?: string;
  @ApiPropertyOptional() dicomAeTitle?: string;
  @ApiPropertyOptional() dicomHost?: string;
  @ApiPropertyOptional() dicomPort?: number;
  @ApiProperty({ enum: RESULT_TRANSPORTS }) resultTransport!: (typeof RESULT_TRANSPORTS)[number];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class PacsServiceCheckDto {
  @ApiProperty() ok!: boolean;
  @ApiPropertyOptional() status?: number;
  @ApiProperty() latencyMs!: number;
  @ApiPropertyOptional() error?: string;
  @ApiPropertyOptional({ description: 'true when the check was not run because there was nothing to probe (an empty PACS for WADO-RS, no base URL for DICOMweb); ok is then false and error says why' })
  skipped?: boolean;
}

export class PacsEndpointTestResultDto {
  @ApiProperty({ type: PacsServiceCheckDto, description: 'QIDO-RS: GET {base}/studies?limit=1' }) qido!: PacsServiceCheckDto;
  @ApiProperty({ type: PacsServiceCheckDto, description: 'WADO-RS: metadata of one study, when the PACS has any' }) wado!: PacsServiceCheckDto;
  @ApiProperty({ type: PacsServiceCheckDto, description: 'STOW-RS: an empty multipart POST; any answer but 404/405/5xx means the service exists' }) stow!: PacsServiceCheckDto;
  @ApiPropertyOptional({ type: PacsServiceCheckDto, description: 'C-ECHO to dicomAeTitle@dicomHost:dicomPort, when the endpoint has them' }) echo?: PacsServiceCheckDto;
}

import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ROLES, type Role } from '../../core/config/trust.config';

export class CreateTokenDto {
  @IsIn(ROLES)
  role!: Role;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  label!: string;

  /** Lifetime in seconds; omitted: until revoked. */
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(366 * 24 * 3600)
  ttlSeconds?: number;
}

export class CreatedTokenDto {
  /** Shown once; only its hash is stored. */
  token!: string;
  id!: string;
  role!: Role;
  label!: string;
  expiresAt!: string | null;
}

export class CreateLoginLinkDto {
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @Matches(/^\/(?![/\\])/, { message: 'next must be a same-origin path starting with a single /' })
  next?: string;

  @IsOptional()
  @IsInt()
  @Min(30)
  @Max(86400)
  ttlSeconds?: number;
}

export class LoginLinkCodeParamsDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'code must be 43 base64url characters' })
  code!: string;
}

export class MeDto {
  kind!: 'token' | 'oidc' | 'system';
  role!: Role;
  subject!: string;
}

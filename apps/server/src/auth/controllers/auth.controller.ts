import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Req, UsePipes } from '@nestjs/common';
import { strictValidation } from '../../core/http/strict-validation';
import type { Request } from 'express';
import { CurrentPrincipal, Public, Roles } from '../../core/decorators/auth.decorators';
import { CreatedTokenDto, CreateLoginLinkDto, CreateTokenDto, LoginLinkCodeParamsDto, MeDto } from '../dtos/auth.dto';
import { actorOf, Principal } from '../../core/principal';
import { TokenRow } from '../repositories/token.repository';
import { AuditService } from '../../audit/services/audit.service';
import { LoginLink, LoginLinkService, RedeemedLogin } from '../services/login-link.service';
import { TokenService } from '../services/token.service';

/** Origin of the request, for login-link URLs when COVSEG_PUBLIC_URL is unset. */
const originOf = (request: Request): string => `${request.protocol}://${request.get('host') ?? 'localhost'}`;

@Controller('api/auth')
@UsePipes(strictValidation)
export class AuthController {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(LoginLinkService) private readonly loginLinks: LoginLinkService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  @Get('me')
  me(@CurrentPrincipal() principal: Principal): MeDto {
    return { kind: principal.kind, role: principal.role, subject: principal.subject };
  }

  @Post('tokens')
  @Roles('admin')
  async createToken(@Body() dto: CreateTokenDto, @CurrentPrincipal() principal: Principal): Promise<CreatedTokenDto> {
    const issued = await this.tokens.issue(dto.role, dto.label, principal, dto.ttlSeconds);
    await this.audit.record(actorOf(principal), 'token.create', `token:${issued.id}`, { role: dto.role, label: dto.label, ttlSeconds: dto.ttlSeconds ?? null });
    return issued;
  }

  @Get('tokens')
  @Roles('admin')
  listTokens(): Promise<TokenRow[]> {
    return this.tokens.list();
  }

  @Delete('tokens/:id')
  @Roles('admin')
  @HttpCode(204)
  async revokeToken(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    if (!(await this.tokens.revoke(id))) throw new NotFoundException(`Revoking token ${id.slice(0, 32)} failed: no live token has that id`);
    await this.audit.record(actorOf(principal), 'token.revoke', `token:${id}`);
  }

  @Post('login-links')
  @Roles('admin')
  createLoginLink(@Body() dto: CreateLoginLinkDto, @CurrentPrincipal() principal: Principal, @Req() request: Request): Promise<LoginLink> {
    return this.loginLinks.create({ role: dto.role ?? 'user', next: dto.next, ttlSeconds: dto.ttlSeconds }, principal, originOf(request));
  }

  @Post('login-links/:code/redeem')
  @Public()
  @HttpCode(200)
  redeem(@Param() params: LoginLinkCodeParamsDto): Promise<RedeemedLogin> {
    return this.loginLinks.redeem(params.code);
  }
}

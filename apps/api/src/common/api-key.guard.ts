import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { API_SETTINGS } from '../tokens';
import { ApiSettings } from '../config/api-settings';

/** Requires `x-api-key` when the server was configured with a key; open otherwise. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  canActivate(ctx: ExecutionContext): boolean {
    const expected = this.settings.apiKey;
    if (!expected) return true;
    const given = ctx.switchToHttp().getRequest<Request>().header('x-api-key') ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new UnauthorizedException('missing or wrong x-api-key header');
    }
    return true;
  }
}

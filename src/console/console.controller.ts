import { Controller, Get, Headers, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OpenRoute } from '../common/auth/open-route';
import type { Response } from 'express';
import { ConsoleAssets } from './console.assets';

/**
 * Scripts and styles come only from /ui itself (no inline code, no other origin) and the page talks
 * only to this service: an injected string in a file name or an error text can never run.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// Static files only (no data): open, so a browser can load the page that then asks for a key.
@ApiExcludeController()
@OpenRoute()
@Controller('ui')
export class ConsoleController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  index(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() res: Response): void {
    this.send('index.html', ifNoneMatch, res);
  }

  @Get(':name')
  asset(
    @Param('name') name: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): void {
    this.send(name, ifNoneMatch, res);
  }

  private send(name: string, ifNoneMatch: string | undefined, res: Response): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no console file ${JSON.stringify(name.slice(0, 80))}`);
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // File names carry no version: the browser asks again every time and mostly gets a 304, so an
    // upgraded service never runs a page made of old and new modules.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', asset.etag);
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === asset.etag)) {
      res.status(304).end();
      return;
    }
    res.status(200).type(asset.contentType).send(asset.body);
  }
}

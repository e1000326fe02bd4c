import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Names a request may ask for: a flat directory, so no path can climb out of it. */
export const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|mjs|css|svg)$/;

/**
 * The console's files, read once at boot: a few tens of kilobytes, so serving them from memory
 * costs nothing and a request never touches the disk.
 */
@Injectable()
export class ConsoleAssets {
  private readonly logger = new Logger(ConsoleAssets.name);
  private readonly files = new Map<string, ConsoleAsset>();

  constructor() {
    // Beside this file in src/ (tests) and in dist/ (nest-cli copies the assets there).
    const dir = join(__dirname, 'assets');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      // The API works without its console; a build that left the assets out is reported, not fatal.
      this.logger.error(`console assets not found in ${dir}: /ui answers 404`);
      return;
    }
    for (const name of names) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType || !ASSET_NAME.test(name)) continue;
      const body = readFileSync(join(dir, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.files.set(name, { body, contentType, etag });
    }
  }

  get(name: string): ConsoleAsset | undefined {
    return ASSET_NAME.test(name) ? this.files.get(name) : undefined;
  }
}

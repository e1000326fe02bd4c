import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODES } from './error-codes';

const SRC = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Where an error answer's code is written down: a DomainError subclass (`super('CODE', …)` under
 * an errors/ folder), a 400 from a use case (`InvalidRequestError('CODE', …)`), a validation
 * decorator (`context: { code: 'CODE' }`), and the exception filter and validation pipe themselves.
 */
function thrownCodes(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (code: string, file: string) => {
    if (!found.has(code)) found.set(code, relative(SRC, file));
  };
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(SRC, file);
    const patterns = [/InvalidRequestError\(\s*'([A-Z][A-Z0-9_]+)'/g, /context: \{ code: '([A-Z][A-Z0-9_]+)' \}/g];
    if (rel.split('/').includes('errors')) patterns.push(/super\(\s*'([A-Z][A-Z0-9_]+)'/g);
    if (rel.startsWith('common/http/')) patterns.push(/'([A-Z][A-Z0-9_]{2,})'/g);
    for (const re of patterns) for (const m of text.matchAll(re)) add(m[1], file);
  }
  return found;
}

describe('ERROR_CODES', () => {
  const thrown = thrownCodes();

  it('lists every code an error answer can carry', () => {
    const missing = [...thrown].filter(([code]) => !(ERROR_CODES as readonly string[]).includes(code));
    expect(missing.map(([code, file]) => `${code} (${file})`)).toEqual([]);
  });

  it('lists no code that nothing answers', () => {
    expect(ERROR_CODES.filter((code) => !thrown.has(code))).toEqual([]);
  });

  it('lists each code once', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});

#!/usr/bin/env node
/*
 * Turns an OpenAPI document into the two files the contract tests keep under review:
 *   <out-dir>/openapi.json  the document itself
 *   <out-dir>/api.d.ts      the TypeScript types openapi-typescript makes of it
 * Both go through the repository's Prettier settings, so the lint and format checks take them as
 * they are and a regenerated file differs from the committed one only where the contract does.
 *
 *   node scripts/openapi/generate.js <document.json> <out-dir>
 *
 * The live document comes from the running application: `npm run openapi:generate` boots it in
 * the contract test and passes its /docs-json through here.
 */
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const prettier = require('prettier');
const { default: openapiTS, astToString, COMMENT_HEADER } = require('openapi-typescript');

const ROOT = resolve(__dirname, '..', '..');

async function render(document) {
  const options = await prettier.resolveConfig(join(ROOT, 'package.json'));
  const json = await prettier.format(JSON.stringify(document), { ...options, parser: 'json' });
  // A property with a default is still optional to a caller: `limit` may be left out.
  const ast = await openapiTS(document, { defaultNonNullable: false });
  const regenerate = '// From the live /docs-json by `npm run openapi:generate`.\n\n';
  const types = await prettier.format(`${COMMENT_HEADER}${regenerate}${astToString(ast)}`, {
    ...options,
    parser: 'typescript',
  });
  return { 'openapi.json': json, 'api.d.ts': types };
}

async function main() {
  const [input, outDir] = process.argv.slice(2);
  if (!input || !outDir) {
    console.error('usage: node scripts/openapi/generate.js <document.json> <out-dir>');
    process.exit(64);
  }
  const files = await render(JSON.parse(readFileSync(input, 'utf8')));
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(outDir, name), text);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

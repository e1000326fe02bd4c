#!/usr/bin/env node
/**
 * Writes the multi-page PDF fixtures of test/fixtures/formats/ (see the README there):
 *
 *   node scripts/make-pdf-fixtures.js
 *
 * multipage-headings.pdf: 4 pages (A4, Helvetica), each a heading line "Chapter N" (18 pt) and three
 * paragraphs (11 pt) of about 1,800 characters in all, so that chunks of 1,000 code points with 100
 * of overlap cross every page seam. Info Title "Multipage Headings".
 *
 * Plain CommonJS so it runs without a TypeScript loader; the specs require it for the text of each
 * page (MULTIPAGE_HEADINGS_PAGES). The output is deterministic (fixed dates), so running it again
 * leaves the committed file unchanged.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'formats');
const FIXED_DATE = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
const MAX_FIXTURE_BYTES = 1024 * 1024;

const TOPICS = ['rivers', 'mountains', 'harbours', 'orchards'];
const SENTENCES_PER_PARAGRAPH = 5;
const PARAGRAPHS_PER_PAGE = 3;

/** A sentence no other sentence of the fixture repeats (it names its chapter, paragraph and place). */
function sentence(chapter, paragraph, s) {
  const topic = TOPICS[chapter - 1];
  return (
    `Sentence ${s} of paragraph ${paragraph} in chapter ${chapter} describes the ${topic} ` +
    `and the people who lived beside them for many generations, recorded with care.`
  );
}

/** Each page: its heading, then its paragraphs (as written; the PDF wraps them into lines). */
const MULTIPAGE_HEADINGS_PAGES = TOPICS.map((_, i) => {
  const chapter = i + 1;
  const paragraphs = Array.from({ length: PARAGRAPHS_PER_PAGE }, (__, p) =>
    Array.from({ length: SENTENCES_PER_PARAGRAPH }, (___, s) => sentence(chapter, p + 1, s + 1)).join(' '),
  );
  return { heading: `Chapter ${chapter}`, paragraphs };
});

function makeMultipageHeadingsPdf() {
  // Loaded here, not at the top: the specs require this file for its text alone.
  const PDFDocument = require('pdfkit');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      info: {
        Title: 'Multipage Headings',
        Author: 'Fixture Generator',
        CreationDate: FIXED_DATE,
        ModDate: FIXED_DATE,
      },
      size: 'A4',
      bufferPages: true,
      autoFirstPage: false,
    });
    const chunks = [];
    doc.on('data', (c) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    for (const page of MULTIPAGE_HEADINGS_PAGES) {
      doc.addPage();
      doc.font('Helvetica-Bold').fontSize(18).text(page.heading);
      doc.moveDown(0.5);
      for (const paragraph of page.paragraphs) {
        doc.font('Helvetica').fontSize(11).text(paragraph, { align: 'left' });
        doc.moveDown(0.5);
      }
    }
    // pdfkit adds a page when text overflows one: the page seams must be where the chapters start.
    const { count } = doc.bufferedPageRange();
    if (count !== MULTIPAGE_HEADINGS_PAGES.length) {
      reject(new Error(`expected ${MULTIPAGE_HEADINGS_PAGES.length} pages, pdfkit made ${count}`));
      return;
    }
    doc.end();
  });
}

function write(name, buf) {
  if (buf.length > MAX_FIXTURE_BYTES) throw new Error(`${name} is ${buf.length} bytes, over the 1 MiB fixture limit`);
  fs.writeFileSync(path.join(OUT, name), buf);
  console.log(`${name.padEnd(24)} ${String(buf.length).padStart(8)} bytes`);
}

async function main() {
  write('multipage-headings.pdf', await makeMultipageHeadingsPdf());
}

module.exports = { MULTIPAGE_HEADINGS_PAGES };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

#!/usr/bin/env node
/**
 * Writes the small format fixtures of test/fixtures/formats/ (see the README there).
 *
 *   node scripts/make-format-fixtures.js
 *
 * Plain CommonJS so it runs without a TypeScript loader. The output is deterministic (fixed dates,
 * seeded pseudo-random bytes), so running it again leaves the committed files unchanged.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const iconv = require('iconv-lite');
const JSZip = require('jszip');
const PDFDocument = require('pdfkit');

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'formats');
const FIXED_DATE = new Date(Date.UTC(2026, 0, 1, 0, 0, 0));
const MAX_FIXTURE_BYTES = 1024 * 1024;
const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes (the same LCG as src/preprocessing/text/decode.spec.ts). */
function pseudoRandomBytes(length, seed) {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function write(name, bytes) {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  if (buf.length > MAX_FIXTURE_BYTES) throw new Error(`${name} is ${buf.length} bytes, over the 1 MiB fixture limit`);
  fs.writeFileSync(path.join(OUT, name), buf);
  console.log(`${name.padEnd(20)} ${String(buf.length).padStart(8)} bytes`);
}

// ---------------------------------------------------------------------------------------------
// Text formats

const SAMPLE_TXT =
  'The quick brown fox jumps over the lazy dog.\n' + 'This plain text fixture is used by the preprocessing tests.\n';

const SAMPLE_MD =
  '# Markdown Title\n' +
  '\n' +
  'This Markdown fixture has a **bold** word and a [link](https://example.com/docs).\n' +
  '\n' +
  '## Section Two\n' +
  '\n' +
  '- first item\n' +
  '- second item\n';

const SAMPLE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>HTML Title</title>
  <style>
    /* STYLE_CONTENT_MUST_NOT_APPEAR */
    body { font-family: sans-serif; }
  </style>
  <script>var marker = "SCRIPT_CONTENT_MUST_NOT_APPEAR"; document.title = "changed";</script>
</head>
<body>
  <h1>Main Heading</h1>
  <p>The HTML fixture paragraph mentions caf&eacute; &amp; cr&egrave;me.</p>
  <ul>
    <li>First list item</li>
    <li>Second list item</li>
  </ul>
  <p>Read <a href="https://example.com/more">the full article</a> for details.</p>
  <script type="text/javascript">console.log("SCRIPT_CONTENT_MUST_NOT_APPEAR");</script>
</body>
</html>
`;

const SAMPLE_CSV =
  'name,city,note\r\n' +
  'Alice,Seoul,"likes tea, not coffee"\r\n' +
  'Bob,Busan,plain note\r\n' +
  'Carol,Incheon,"said ""hello"" twice"\r\n';

const SAMPLE_JSON = `${JSON.stringify(
  {
    title: 'JSON Title',
    description: 'A JSON fixture for the preprocessing tests.',
    tags: ['alpha', 'beta'],
    nested: { count: 3, active: true },
  },
  null,
  2,
)}\n`;

const KOREAN_CP949_TEXT =
  '안녕하세요. 이 문서는 CP949로 저장된 한국어 예문입니다.\n' +
  // 똠 and 펲 are outside EUC-KR (KS X 1001) and only in CP949's extension.
  '똠방각하와 펲시콜라는 확장 완성형 글자를 시험합니다.\n';

const UTF16LE_TEXT = 'Hello, 세계! This file is UTF-16LE with a BOM.\n한국어와 English가 섞여 있습니다.\n';

// ---------------------------------------------------------------------------------------------
// Encodings: one Korean text (KS X 1001 syllables only, so EUC-KR can hold it) in every encoding we
// tell apart, and text in the legacy encodings we refuse (see the README's "Encodings").

const KOREAN_TEXT =
  '안녕하세요. 이 문서는 인코딩 시험용 한국어 예문입니다.\n' + '둘째 줄에는 숫자 123과 English 단어가 있습니다.\n';

const SHIFT_JIS_TEXT = 'こんにちは。これはShift_JISで保存された日本語のテキストです。\n';
const GB18030_TEXT = '这是一个用国标编码保存的中文文本，用于测试。\n';
const LATIN1_TEXT = 'Le café crème brûlée est très apprécié à Noël, dit la façade naïve.\n';

const utf16be = (text) => iconv.encode(text, 'utf-16be');
const utf16le = (text) => iconv.encode(text, 'utf-16le');

/** Printable-looking bytes (0x20-0xFF, no DEL) that no encoding reads with confidence. */
function byteSoup(length, seed) {
  const out = pseudoRandomBytes(length, seed);
  for (let i = 0; i < out.length; i++) {
    const b = 0x20 + (out[i] % 0xe0);
    out[i] = b === 0x7f ? 0x80 : b;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Structure: Markdown, HTML and DOCX with nested headings. Each section has over 2,000 characters
// of filler, so that (with 1,000-character chunks) at least one chunk begins in every section.

/** Deterministic filler sentences naming their section, about `chars` characters in all. */
function filler(section, chars) {
  const sentences = [];
  let length = 0;
  for (let i = 1; length < chars; i++) {
    const sentence = `Sentence ${i} of the ${section} section adds enough plain words to fill a chunk.`;
    sentences.push(sentence);
    length += sentence.length + 1;
  }
  return sentences.join(' ');
}

const FILL = 2100;

const STRUCTURE_MD = [
  'An introduction before any heading.',
  '',
  '# Guide',
  '',
  filler('Guide', FILL),
  '',
  '## Install',
  '',
  filler('Install', FILL),
  '',
  '```sh',
  '# a shell comment, not a heading',
  'npm install',
  '```',
  '',
  '### From source',
  '',
  filler('From source', FILL),
  '',
  '## Usage ##',
  '',
  filler('Usage', FILL),
  '',
  'Reference',
  '=========',
  '',
  filler('Reference', FILL),
  '',
  'Options',
  '-------',
  '',
  filler('Options', FILL),
  '',
].join('\n');

const STRUCTURE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Structure Title</title>
</head>
<body>
  <p>An introduction before any heading.</p>
  <h1>Handbook</h1>
  <p>${filler('Handbook', FILL)}</p>
  <section>
    <h2>Policies</h2>
    <p>${filler('Policies', FILL)}</p>
    <h3>Leave</h3>
    <table>
      <tr><th>Type</th><th>Days</th></tr>
      <tr><td>Annual</td><td>15</td></tr>
      <tr><td>Sick</td><td>10</td></tr>
    </table>
    <p>${filler('Leave', FILL)}</p>
  </section>
  <h2>Contacts <small>(updated)</small></h2>
  <ul>
    <li>HR: hr@example.com</li>
    <li>IT: it@example.com</li>
  </ul>
  <p>${filler('Contacts', FILL)}</p>
  <h1>Appendix</h1>
  <p>${filler('Appendix', FILL)}</p>
</body>
</html>
`;

// ---------------------------------------------------------------------------------------------
// PDF: two pages, Info Title "PDF Title"

const PDF_PAGE_1 = 'This is the first page of the PDF fixture.';
const PDF_PAGE_2 = 'The second page of the PDF fixture says goodbye.';

function makePdf() {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      info: { Title: 'PDF Title', Author: 'Fixture Generator', CreationDate: FIXED_DATE, ModDate: FIXED_DATE },
      size: 'A4',
    });
    const chunks = [];
    doc.on('data', (c) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(14).text(PDF_PAGE_1);
    doc.addPage();
    doc.fontSize(14).text(PDF_PAGE_2);
    doc.end();
  });
}

// ---------------------------------------------------------------------------------------------
// DOCX: core-properties title "DOCX Title", two paragraphs

const CONTENT_TYPES_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>`;

const ROOT_RELS_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>`;

const CORE_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>DOCX Title</dc:title>
<dc:creator>Fixture Generator</dc:creator>
<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>
</cp:coreProperties>`;

const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

const DOCUMENT_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="${W_NS}"><w:body>
<w:p><w:r><w:t>The first paragraph of the DOCX fixture.</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">The second paragraph has </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>bold</w:t></w:r><w:r><w:t xml:space="preserve"> text and 한국어.</w:t></w:r></w:p>
<w:sectPr/>
</w:body></w:document>`;

// DOCX with Heading 1/2 paragraphs, a bulleted and a numbered list (numbering.xml) and a table.

const STRUCTURE_CONTENT_TYPES_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>`;

const DOCUMENT_RELS_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>
</Relationships>`;

const STYLES_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="${W_NS}">
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/></w:style>
</w:styles>`;

const NUMBERING_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="${W_NS}">
<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
</w:numbering>`;

const STRUCTURE_CORE_XML = CORE_XML.replace('DOCX Title', 'Structure DOCX Title');

const xmlEscape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const para = (text, style) =>
  `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${xmlEscape(text)}</w:t></w:r></w:p>`;
const listItem = (text, numId) =>
  `<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="${numId}"/></w:numPr></w:pPr>` +
  `<w:r><w:t xml:space="preserve">${xmlEscape(text)}</w:t></w:r></w:p>`;
const table = (rows) =>
  `<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>` +
  rows.map((cells) => `<w:tr>${cells.map((c) => `<w:tc>${para(c)}</w:tc>`).join('')}</w:tr>`).join('') +
  '</w:tbl>';

const STRUCTURE_DOCUMENT_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="${W_NS}"><w:body>
${para('An introduction before any heading.')}
${para('Project Overview', 'Heading1')}
${para(filler('Project Overview', FILL))}
${para('Goals', 'Heading2')}
${listItem('Fast ingestion', 1)}
${listItem('Reliable retries', 1)}
${para(filler('Goals', FILL))}
${para('Schedule', 'Heading2')}
${table([
  ['Phase', 'Month'],
  ['Design', 'January'],
  ['Build', 'February'],
])}
${para(filler('Schedule', FILL))}
${para('Appendix', 'Heading1')}
${listItem('Read the guide', 2)}
${listItem('Ask a question', 2)}
${para(filler('Appendix', FILL))}
<w:sectPr/>
</w:body></w:document>`;

async function makeStructureDocx() {
  const zip = new JSZip();
  const opts = { date: FIXED_DATE, createFolders: false };
  zip.file('[Content_Types].xml', STRUCTURE_CONTENT_TYPES_XML, opts);
  zip.file('_rels/.rels', ROOT_RELS_XML, opts);
  zip.file('docProps/core.xml', STRUCTURE_CORE_XML, opts);
  zip.file('word/document.xml', STRUCTURE_DOCUMENT_XML, opts);
  zip.file('word/_rels/document.xml.rels', DOCUMENT_RELS_XML, opts);
  zip.file('word/styles.xml', STYLES_XML, opts);
  zip.file('word/numbering.xml', NUMBERING_XML, opts);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

async function makeDocx() {
  const zip = new JSZip();
  const opts = { date: FIXED_DATE, createFolders: false };
  // [Content_Types].xml first, as Word writes it (content sniffers look at the first entries).
  zip.file('[Content_Types].xml', CONTENT_TYPES_XML, opts);
  zip.file('_rels/.rels', ROOT_RELS_XML, opts);
  zip.file('docProps/core.xml', CORE_XML, opts);
  zip.file('word/document.xml', DOCUMENT_XML, opts);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}

// ---------------------------------------------------------------------------------------------
// Zip bomb: a genuine ZIP whose word/document.xml inflates to 210 MiB of 'A's (over the 200 MiB
// limit, compression ratio about 1000:1). Written by hand so the 210 MiB never sit in memory: the
// entry is deflated from 1 MiB pieces.

const BOMB_TEXT_BYTES = 210 * MiB;

async function deflateStreamed(pieces) {
  const deflate = zlib.createDeflateRaw({ level: 9 });
  const out = [];
  deflate.on('data', (c) => out.push(c));
  const done = new Promise((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  let size = 0;
  for (const piece of pieces()) {
    crc = zlib.crc32(piece, crc);
    size += piece.length;
    if (!deflate.write(piece)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return { data: Buffer.concat(out), crc, size };
}

function dosDateTime(date) {
  const time = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2);
  const day = ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate();
  return { time, day };
}

/** A minimal ZIP writer (deflate, no ZIP64: every size here is far below 4 GiB). */
function buildZip(entries) {
  const { time, day } = dosDateTime(FIXED_DATE);
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(day, 12);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, e.data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(day, 14);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attrs, external attrs: all 0
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + e.data.length;
  }
  const centralDir = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(centralDir.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, eocd]);
}

async function smallEntry(name, text) {
  const bytes = Buffer.from(text, 'utf8');
  return { name, data: zlib.deflateRawSync(bytes, { level: 9 }), crc: zlib.crc32(bytes), size: bytes.length };
}

async function makeZipBomb() {
  const head = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t>`,
  );
  const tail = Buffer.from('</w:t></w:r></w:p></w:body></w:document>');
  const piece = Buffer.alloc(MiB, 'A');
  const document = await deflateStreamed(function* () {
    yield head;
    for (let written = 0; written < BOMB_TEXT_BYTES; written += piece.length) yield piece;
    yield tail;
  });
  return buildZip([
    await smallEntry('[Content_Types].xml', CONTENT_TYPES_XML),
    await smallEntry('_rels/.rels', ROOT_RELS_XML),
    { name: 'word/document.xml', ...document },
  ]);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(OUT, { recursive: true });

  write('sample.txt', SAMPLE_TXT);
  write('sample.md', SAMPLE_MD);
  write('sample.html', SAMPLE_HTML);
  write('sample.csv', SAMPLE_CSV);
  write('sample.json', SAMPLE_JSON);
  write('sample.pdf', await makePdf());
  const docx = await makeDocx();
  write('sample.docx', docx);
  write('korean-cp949.txt', iconv.encode(KOREAN_CP949_TEXT, 'cp949'));
  write('utf16le-bom.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(UTF16LE_TEXT, 'utf-16le')]));

  // Structure (heading paths).
  write('structure.md', STRUCTURE_MD);
  write('structure.html', STRUCTURE_HTML);
  write('structure.docx', await makeStructureDocx());

  // Encodings.
  const bom8 = Buffer.from([0xef, 0xbb, 0xbf]);
  write('korean-utf8.txt', Buffer.from(KOREAN_TEXT, 'utf8'));
  write('korean-utf8-bom.txt', Buffer.concat([bom8, Buffer.from(KOREAN_TEXT, 'utf8')]));
  write('korean-euc-kr.txt', iconv.encode(KOREAN_TEXT, 'euc-kr'));
  write('korean-utf16le-bom.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(KOREAN_TEXT)]));
  write('korean-utf16be-bom.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(KOREAN_TEXT)]));
  write('korean-utf16le.txt', utf16le(KOREAN_TEXT));
  write('korean-utf16be.txt', utf16be(KOREAN_TEXT));
  write('shift-jis.txt', iconv.encode(SHIFT_JIS_TEXT, 'shift_jis'));
  write('gb18030.txt', iconv.encode(GB18030_TEXT, 'gb18030'));
  write('latin1.txt', iconv.encode(LATIN1_TEXT, 'latin1'));
  write('byte-soup.txt', byteSoup(2048, 7));

  // Hostile inputs.
  write(
    'corrupt.pdf',
    Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), pseudoRandomBytes(4096, 1234)]),
  );
  write('truncated.docx', docx.subarray(0, Math.floor(docx.length / 2)));
  write('zip-bomb.docx', await makeZipBomb());
  write('junk.bin', pseudoRandomBytes(4096, 42));
  write('empty.txt', Buffer.alloc(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

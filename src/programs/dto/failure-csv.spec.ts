import { csvCell, FAILURE_CSV_HEADER, failureCsvRow, type FailureCsvRecord } from './failure-csv';

/** A minimal RFC 4180 reader: enough to show that what the encoder writes reads back whole. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const record = (over: Partial<FailureCsvRecord> = {}): FailureCsvRecord => ({
  stage: 'preprocessing',
  index: 7,
  file_path: 's3://src/a.txt',
  error_code: 'SOURCE_NOT_FOUND',
  retryable: true,
  retry_count: 2,
  exhausted: false,
  next_retry_at: '2026-01-01T00:00:00.000Z',
  timestamp: '2025-12-31T23:00:00.000Z',
  error: 'source s3://src/a.txt does not exist',
  ...over,
});

describe('failure CSV', () => {
  it('writes the SPEC columns in order, CRLF-terminated', () => {
    expect(FAILURE_CSV_HEADER).toBe(
      'stage,index,file_path,error_code,retryable,retry_count,exhausted,next_retry_at,timestamp,error\r\n',
    );
    expect(failureCsvRow(record())).toBe(
      'preprocessing,7,s3://src/a.txt,SOURCE_NOT_FOUND,true,2,false,2026-01-01T00:00:00.000Z,' +
        '2025-12-31T23:00:00.000Z,source s3://src/a.txt does not exist\r\n',
    );
  });

  it('leaves null cells empty', () => {
    expect(failureCsvRow(record({ next_retry_at: null, error: null }))).toMatch(
      /,false,,2025-12-31T23:00:00.000Z,\r\n$/,
    );
    expect(csvCell(undefined)).toBe('');
  });

  it.each([
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rinside', '"cr\rinside"'],
    ['plain', 'plain'],
    ['', ''],
  ])('quotes %j as RFC 4180 requires', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it.each([
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ['+1+1', "'+1+1"],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
  ])('neutralises the formula %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('does not touch numbers and booleans, nor text that only contains a formula character', () => {
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(false)).toBe('false');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('reads back as the same cells, hostile text included', () => {
    const hostile = record({
      file_path: 's3://src/=cmd,"quoted"\r\nname.txt',
      error: '@evil\nsecond line, with "quotes"',
    });
    const rows = parseCsv(FAILURE_CSV_HEADER + failureCsvRow(hostile) + failureCsvRow(record({ index: 8 })));
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveLength(10);
    expect(rows[1][2]).toBe('s3://src/=cmd,"quoted"\r\nname.txt');
    expect(rows[1][9]).toBe('\'@evil\nsecond line, with "quotes"');
    expect(rows[2][1]).toBe('8');
  });
});

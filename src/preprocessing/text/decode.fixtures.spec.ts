import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeText, TextDecodeError } from '.';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

/** decodeText on the committed encoding fixtures (test/fixtures/formats/README.md). */
describe('decodeText on fixture files', () => {
  const sut = decodeText;

  it('decodes korean-cp949.txt, CP949-only syllables included, without a charset hint', () => {
    expect(sut(fixture('korean-cp949.txt'))).toEqual({
      text:
        '안녕하세요. 이 문서는 CP949로 저장된 한국어 예문입니다.\n' +
        '똠방각하와 펲시콜라는 확장 완성형 글자를 시험합니다.\n',
      encoding: 'cp949',
    });
  });

  it('decodes utf16le-bom.txt and drops the BOM', () => {
    expect(sut(fixture('utf16le-bom.txt'))).toEqual({
      text: 'Hello, 세계! This file is UTF-16LE with a BOM.\n한국어와 English가 섞여 있습니다.\n',
      encoding: 'utf-16le',
    });
  });

  it('decodes sample.txt as UTF-8', () => {
    expect(sut(fixture('sample.txt'))).toEqual({
      text: 'The quick brown fox jumps over the lazy dog.\nThis plain text fixture is used by the preprocessing tests.\n',
      encoding: 'utf-8',
    });
  });

  it('decodes empty.txt as empty text', () => {
    expect(sut(fixture('empty.txt'))).toEqual({ text: '', encoding: 'utf-8' });
  });

  it('refuses junk.bin', () => {
    expect(() => sut(fixture('junk.bin'))).toThrow(TextDecodeError);
  });

  const KOREAN =
    '안녕하세요. 이 문서는 인코딩 시험용 한국어 예문입니다.\n둘째 줄에는 숫자 123과 English 단어가 있습니다.\n';

  it.each([
    ['korean-utf8.txt', 'utf-8'],
    ['korean-utf8-bom.txt', 'utf-8'],
    ['korean-euc-kr.txt', 'euc-kr'],
    ['korean-utf16le-bom.txt', 'utf-16le'],
    ['korean-utf16be-bom.txt', 'utf-16be'],
    ['korean-utf16le.txt', 'utf-16le'],
    ['korean-utf16be.txt', 'utf-16be'],
  ])('decodes %s as %s, BOM dropped', (name, encoding) => {
    expect(sut(fixture(name))).toEqual({ text: KOREAN, encoding });
  });

  it.each([['byte-soup.txt'], ['shift-jis.txt'], ['gb18030.txt'], ['latin1.txt']])(
    'refuses %s, naming the encodings it does not guess',
    (name) => {
      expect(() => sut(fixture(name))).toThrow(TextDecodeError);
      expect(() => sut(fixture(name))).toThrow(/Shift_JIS, GB18030, Big5, Latin-1/);
    },
  );
});

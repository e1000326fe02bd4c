import { worthReusing } from './reuse.policy';

describe('worthReusing', () => {
  it('looks for a copy of a PDF or a DOCX (ZIP) whatever its size', () => {
    expect(worthReusing(Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'))).toBe(true);
    expect(worthReusing(Buffer.concat([Buffer.from('junk before the header\n'), Buffer.from('%PDF-1.4')]))).toBe(true);
    expect(worthReusing(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]))).toBe(true);
  });

  it('looks for a copy of any file of 64 KiB or more', () => {
    expect(worthReusing(Buffer.alloc(64 * 1024, 'a'))).toBe(true);
    expect(worthReusing(Buffer.alloc(64 * 1024 - 1, 'a'))).toBe(false);
  });

  it('extracts small text again rather than look: that is cheaper than the round trip', () => {
    expect(worthReusing(Buffer.from('# A note\n\nShort.\n'))).toBe(false);
    expect(worthReusing(Buffer.from(''))).toBe(false);
    // "PK" later in a text is no ZIP signature.
    expect(worthReusing(Buffer.from('Text that mentions PK\x03\x04 in passing'))).toBe(false);
  });

  it('reads only the view it is given, not the rest of a shared buffer', () => {
    const shared = Buffer.concat([Buffer.from('small text'), Buffer.from('%PDF-1.7')]);
    expect(worthReusing(shared.subarray(0, 10))).toBe(false);
  });
});

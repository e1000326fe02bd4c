/**
 * Looking for an identical earlier file costs a database round trip on the thread that coordinates
 * every file; re-extracting a small text file costs less than that (a fraction of a millisecond in
 * a worker). Reuse is looked for where extraction is dear: large files, and PDF and DOCX, which are
 * parsed out of a binary container whatever their size (their signatures are all that is read here).
 */
const REUSE_MIN_BYTES = 64 * 1024;
const PDF_SIGNATURE = Buffer.from('%PDF-');
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export function worthReusing(bytes: Uint8Array): boolean {
  if (bytes.byteLength >= REUSE_MIN_BYTES) return true;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024));
  return head.indexOf(PDF_SIGNATURE) !== -1 || head.subarray(0, 4).equals(ZIP_SIGNATURE);
}

// C0 controls except \t and \n (\r is converted before this runs), DEL, C1 controls, and BOMs
// that survive concatenation of files.
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFEFF]/g;
const HORIZONTAL_SPACE = /[\t \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;

export function normalizeText(text: string): string {
  const tidied = text
    .replace(/\r\n?|[\u2028\u2029]/g, '\n')
    .replace(CONTROL_CHARS, '')
    .replace(HORIZONTAL_SPACE, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  // NFC last: removing controls can bring a base letter and a combining mark together, and
  // composing only afterwards keeps the function idempotent.
  return tidied.normalize('NFC');
}

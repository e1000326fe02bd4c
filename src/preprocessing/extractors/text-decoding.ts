import { PreprocessingError } from '../errors/preprocessing.error';
import { decodeText, TextDecodeError } from '../text';

/** Decodes a text-based format, turning an unknown encoding into a non-retryable CORRUPT_FILE. */
export function decodeOrFail(bytes: Buffer): string {
  try {
    return decodeText(bytes).text;
  } catch (e) {
    if (e instanceof TextDecodeError) throw new PreprocessingError('CORRUPT_FILE', e.message);
    throw e;
  }
}

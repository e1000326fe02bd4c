import { PreprocessingError } from '../errors/preprocessing.error';
import { decodeText, TextDecodeError } from '../text';

/**
 * Decodes a text-based format. Bytes no encoding we know reads with confidence are
 * ENCODING_UNKNOWN (not retryable): decoding them anyway would only give U+FFFD soup.
 */
export function decodeOrFail(bytes: Buffer): string {
  try {
    return decodeText(bytes).text;
  } catch (e) {
    if (e instanceof TextDecodeError) throw new PreprocessingError('ENCODING_UNKNOWN', e.message);
    throw e;
  }
}

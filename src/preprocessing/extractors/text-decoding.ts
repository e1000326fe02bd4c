import { PreprocessingError } from '../errors/preprocessing.error';
import { DecodedText, decodeText, TextDecodeError } from '../text';

/**
 * Decodes a text-based format and says how (`Extraction.encoding`, reported as `stats.encoding`).
 * Bytes no encoding we know reads with confidence are ENCODING_UNKNOWN (not retryable): decoding
 * them anyway would only give U+FFFD soup. Which encodings are told, and how, is decided in
 * src/preprocessing/text/decode.ts (TextEncodingName).
 */
export function decodeOrFail(bytes: Buffer): DecodedText {
  try {
    return decodeText(bytes);
  } catch (e) {
    if (e instanceof TextDecodeError) throw new PreprocessingError('ENCODING_UNKNOWN', e.message);
    throw e;
  }
}

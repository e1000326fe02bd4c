import { InvalidRequestError } from '../../common/errors/domain.error';
import { parseS3Uri } from '../../common/processed-json';
import { MAX_FILES_PER_PROGRAM } from './create-program.dto';

/**
 * Validates the file list of a create request; the first problem found decides the error code.
 * `allowedBucket` is the source-bucket policy (SOURCE_BUCKETS; never the output bucket).
 */
export function validateFileList(files: unknown, allowedBucket: (bucket: string) => boolean = () => true): string[] {
  if (!Array.isArray(files)) throw new InvalidRequestError('FILES_NOT_A_LIST', 'files must be a list of s3:// paths');
  if (files.length === 0) throw new InvalidRequestError('EMPTY_FILE_LIST', 'files must not be empty');
  if (files.length > MAX_FILES_PER_PROGRAM) {
    throw new InvalidRequestError(
      'TOO_MANY_FILES',
      `files holds ${files.length} paths; at most ${MAX_FILES_PER_PROGRAM}`,
    );
  }
  const seen = new Set<string>();
  files.forEach((f: unknown, i) => {
    const uri = typeof f === 'string' ? parseS3Uri(f) : undefined;
    if (!uri) throw new InvalidRequestError('INVALID_S3_PATH', `files[${i}] is not a valid s3://bucket/key path`);
    if (!allowedBucket(uri.bucket)) {
      throw new InvalidRequestError(
        'SOURCE_BUCKET_NOT_ALLOWED',
        `files[${i}] is in a bucket sources may not come from`,
      );
    }
    if (seen.has(f as string)) throw new InvalidRequestError('DUPLICATE_FILES', `files[${i}] repeats an earlier path`);
    seen.add(f as string);
  });
  return files as string[];
}

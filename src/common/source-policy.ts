/**
 * Which buckets sources may come from (SOURCE_BUCKETS). The output bucket is never a source: it
 * holds every user's processed JSON, and naming it would let one user read another's text through
 * a program of their own. Written once, used where programs are created and where files are read.
 */
export function isAllowedSourceBucket(
  bucket: string,
  s3: { bucket: string; sourceBuckets?: readonly string[] },
): boolean {
  if (bucket === s3.bucket) return false;
  return s3.sourceBuckets === undefined || s3.sourceBuckets.includes(bucket);
}

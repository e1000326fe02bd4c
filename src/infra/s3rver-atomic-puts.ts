/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment,
   @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call,
   @typescript-eslint/no-explicit-any -- s3rver's store is untyped */

/**
 * s3rver writes an object's bytes in place, so a GET that arrives while a PUT of the same key is
 * still writing reads a partial or empty file — where S3 itself makes a PUT visible all at once.
 * A file uploaded while a program runs could then be processed from half its bytes (a truncated
 * JSON fails for good as CORRUPT_FILE; a truncated text becomes a short Document). This makes the
 * embedded server's PUT atomic: the bytes go to a temporary file beside the object (not an object
 * name, so listings never show it), the metadata is written, and a rename publishes the object.
 *
 * Self-contained on purpose (requires inside, nothing from the closure): the test suites' s3rver
 * runs in a child process and applies this function from its source text.
 */
export function makeS3rverPutsAtomic(FilesystemStore: any): void {
  const { createHash, randomBytes } = require('node:crypto');
  const { createWriteStream } = require('node:fs');
  const { mkdir, rename, rm, writeFile } = require('node:fs/promises');
  const { dirname } = require('node:path');
  const { Transform } = require('node:stream');
  const { pipeline } = require('node:stream/promises');

  FilesystemStore.prototype.putObject = async function putObject(object: any) {
    const objectPath: string = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const partial = `${objectPath}.${randomBytes(6).toString('hex')}.partial`;
    const md5 = createHash('md5');
    let size = 0;
    try {
      if (Buffer.isBuffer(object.content)) {
        await writeFile(partial, object.content);
        md5.update(object.content);
        size = object.content.length;
      } else {
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding: string, callback: (e: null, c: Buffer) => void) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        });
        await pipeline(object.content, hashing, createWriteStream(partial));
      }
      const digest: string = md5.digest('hex');
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
      await rename(partial, objectPath);
      return { size, md5: digest };
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
  };
}

import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ensureBucket, makeS3Client } from '../factories/s3-objects';

/**
 * The embedded S3 server publishes an object only once its PUT has finished, as S3 does: a file
 * uploaded while a program runs is read whole or not at all, never from half its bytes.
 */
describe('embedded S3: a PUT is visible all at once', () => {
  const s3 = makeS3Client();
  const bucket = `atomic-${randomBytes(4).toString('hex')}`;

  beforeAll(() => ensureBucket(s3, bucket));
  afterAll(() => s3.destroy());

  const get = async (key: string): Promise<string | number> => {
    try {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await r.Body!.transformToString();
    } catch (e) {
      return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
    }
  };

  it('a GET during a PUT of a new key finds nothing; after it, the whole object', async () => {
    const first = 'a'.repeat(64 * 1024);
    const rest = 'b'.repeat(64 * 1024);
    let sendRest!: () => void;
    const restMayGo = new Promise<void>((r) => (sendRest = r));
    let firstSent!: () => void;
    const firstWasSent = new Promise<void>((r) => (firstSent = r));
    async function* body() {
      yield Buffer.from(first);
      firstSent();
      await restMayGo;
      yield Buffer.from(rest);
    }

    const put = s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'slow.txt',
        Body: Readable.from(body()),
        ContentLength: first.length + rest.length,
      }),
    );
    await firstWasSent;
    // Half the bytes are with the server (it has the key's directory and a partial file by now).
    await new Promise((r) => setTimeout(r, 200));
    // Lengths, not contents: a failure should not print 64 KB of the same letter.
    const during = await get('slow.txt');
    expect(typeof during === 'string' ? `${during.length} bytes` : during).toBe(404);
    sendRest();
    await put;
    const after = await get('slow.txt');
    expect(typeof after === 'string' ? after.length : after).toBe(first.length + rest.length);
    expect(after).toBe(first + rest);
  });

  it('an overwrite replaces the object whole', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'twice.txt', Body: 'old' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'twice.txt', Body: 'new contents' }));
    expect(await get('twice.txt')).toBe('new contents');
  });
});

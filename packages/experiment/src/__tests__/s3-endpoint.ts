import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * A minimal S3-compatible endpoint for tests, on a free loopback port: PutObject, GetObject and
 * HeadObject with path-style addressing (`/bucket/key`), objects kept in memory. Written here
 * rather than taken from npm: the one small S3 server package (s3rver) has had no release since
 * 2021, and these three operations are all the artifact store uses. It does not verify SigV4
 * signatures, but refuses a request not signed with `accessKeyId`, so a test shows that the AWS
 * SDK took its credentials from the environment.
 */
export interface S3Endpoint {
  readonly url: string;
  /** The stored objects by `/bucket/key`: a test may change one, as a damaged disk or an attacker would. */
  readonly objects: Map<string, Buffer>;
  /** `METHOD /bucket/key` of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

const body = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks)));
    request.on('error', fail);
  });

const errorXml = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/** Starts the endpoint; it accepts requests signed with `accessKeyId` only. */
export async function startS3Endpoint(accessKeyId: string): Promise<S3Endpoint> {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      requests.push(`${request.method ?? '?'} ${path}`);
      const payload = await body(request);
      const auth = request.headers.authorization ?? '';
      if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`)) {
        response.writeHead(403, { 'content-type': 'application/xml' });
        response.end(errorXml('InvalidAccessKeyId', 'not signed with the expected access key'));
        return;
      }
      if (request.method === 'PUT') {
        objects.set(path, payload);
        response.writeHead(200, { etag: '"0"' });
        response.end();
        return;
      }
      const object = objects.get(path);
      if (object === undefined) {
        response.writeHead(404, { 'content-type': 'application/xml' });
        response.end(
          request.method === 'HEAD' ? undefined : errorXml('NoSuchKey', 'The specified key does not exist.'),
        );
        return;
      }
      response.writeHead(200, { 'content-length': object.byteLength, 'content-type': 'application/octet-stream' });
      response.end(request.method === 'HEAD' ? undefined : object);
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the S3 endpoint has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    objects,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

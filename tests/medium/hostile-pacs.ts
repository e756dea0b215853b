import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';

/** What the hostile PACS does with the next requests. */
export type HostileMode =
  | { kind: 'empty' }
  /** Reads the request and never answers. */
  | { kind: 'stall' }
  /** QIDO answers stream DICOM JSON for ever (up to `bytes`), without Content-Length. */
  | { kind: 'huge'; bytes: number }
  /** Every GET answers the small gzip body made by prepareGzipBomb, which inflates to about 1 GiB. */
  | { kind: 'gzip-bomb' }
  /** Every request answers 302 to `location`. */
  | { kind: 'redirect'; location: string }
  /** Every GET declares Content-Length 100000, sends 1000 bytes and closes the connection. */
  | { kind: 'length-lie' }
  /** Every GET answers a multipart/related body that never sends its closing delimiter. */
  | { kind: 'unterminated-multipart' }
  /** GETs are forwarded to a real PACS; STOW-RS (POST) answers 500, or never answers. */
  | { kind: 'forward'; target: string; stow: 500 | 'hang' };

/**
 * A real HTTP server playing a hostile or broken PACS, for tests of what our server does with its
 * answers. It counts every request by method, so a test can assert how often something was (re)sent.
 */
export class HostilePacs {
  mode: HostileMode = { kind: 'empty' };
  readonly requests: Array<{ method: string; url: string; authorization: string | undefined }> = [];
  private bomb: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<HostilePacs> {
    const holder: { pacs?: HostilePacs } = {};
    const server = createServer((request, response) => void holder.pacs!.handle(request, response).catch(() => response.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.pacs = new HostilePacs(server, (server.address() as AddressInfo).port);
    return holder.pacs;
  }

  get dicomwebUrl(): string {
    return `http://127.0.0.1:${this.port}/dicom-web`;
  }

  /** Prepares the gzip bomb: `inflatedBytes` of spaces compressed (1 GiB of them is about 1 MB). */
  async prepareGzipBomb(inflatedBytes: number): Promise<number> {
    const gzip = createGzip({ level: 9 });
    const chunks: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = new Promise((resolve) => gzip.on('end', resolve));
    const block = Buffer.alloc(16 * 1024 * 1024, 0x20);
    gzip.write('[');
    for (let written = 0; written < inflatedBytes; written += block.length) {
      if (!gzip.write(block)) await new Promise((resolve) => gzip.once('drain', resolve));
    }
    gzip.end(']');
    await done;
    this.bomb = Buffer.concat(chunks);
    return this.bomb.length;
  }

  count(method: string): number {
    return this.requests.filter((r) => r.method === method).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.requests.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization });
    const mode = this.mode;
    if (mode.kind === 'forward') return this.forward(request, response, mode.target, mode.stow);
    request.resume();
    switch (mode.kind) {
      case 'empty':
        response.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
        return;
      case 'stall':
        return;
      case 'redirect':
        response.writeHead(302, { Location: mode.location }).end();
        return;
      case 'gzip-bomb':
        response.writeHead(200, { 'Content-Type': 'application/dicom+json', 'Content-Encoding': 'gzip', 'Content-Length': this.bomb.length }).end(this.bomb);
        return;
      case 'length-lie':
        response.writeHead(200, { 'Content-Type': 'application/dicom+json', 'Content-Length': 100_000 });
        response.write(`[${' '.repeat(998)}`);
        setTimeout(() => response.socket?.destroy(), 50);
        return;
      case 'unterminated-multipart': {
        response.writeHead(200, { 'Content-Type': 'multipart/related; type="application/dicom"; boundary=b0' });
        response.end('--b0\r\nContent-Type: application/dicom\r\n\r\nnot really dicom\r\n');
        return;
      }
      case 'huge': {
        response.writeHead(200, { 'Content-Type': 'application/dicom+json' });
        const chunk = Buffer.from(`{"0020000D":{"vr":"UI","Value":["1.2.3"]}},`.repeat(24_000));
        let sent = 0;
        let closed = false;
        response.on('close', () => (closed = true));
        response.write('[');
        while (!closed && sent < mode.bytes) {
          sent += chunk.length;
          if (!response.write(chunk)) await new Promise((resolve) => (closed ? resolve(undefined) : response.once('drain', resolve).once('close', resolve)));
        }
        if (!closed) response.end('{}]');
        return;
      }
    }
  }

  private async forward(request: IncomingMessage, response: ServerResponse, target: string, stow: 500 | 'hang'): Promise<void> {
    if (request.method === 'POST') {
      request.resume();
      if (stow === 500) response.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error');
      // 'hang': never answer; the client's timeout must end it, and it must not send again.
      return;
    }
    const upstream = await fetch(`${target}${request.url!.replace(/^\/dicom-web/, '')}`, { headers: request.headers.accept ? { accept: request.headers.accept } : {} });
    const body = Buffer.from(await upstream.arrayBuffer());
    response.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/octet-stream', 'Content-Length': body.length }).end(body);
  }
}

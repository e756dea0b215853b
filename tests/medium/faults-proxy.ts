import { createServer, request, Server } from 'node:http';
import type { Socket } from 'node:net';
import { freePort } from '../support/orthanc';

/**
 * An HTTP proxy in front of a real PACS that a test can cut, to make an outage land at an exact
 * moment (e.g. in the middle of a WADO-RS series retrieval). While the PACS is down, the proxy drops
 * the client connection, as the network would.
 */
export class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private holdNextRetrieve?: () => void;
  private swallowNextStowAnswer?: () => void;
  private stalling = false;
  private readonly cuts: Array<{ match: RegExp; remaining: number; afterBytes?: number }> = [];
  private readonly drops: Array<{ match: RegExp; remaining: number }> = [];
  private readonly holds: Array<{ match: RegExp; arrived: () => void; released: Promise<void> }> = [];
  /** Requests received, in order (method and path with query). */
  readonly requests: string[] = [];
  /** The Accept-Encoding header of each request, in order ('' when absent). */
  readonly acceptEncodings: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: URL,
  ) {}

  static async start(targetRestUrl: string): Promise<CuttableProxy> {
    const port = await freePort();
    const proxy: CuttableProxy = new CuttableProxy(createServer((req, res) => proxy.forward(req, res)), port, new URL(targetRestUrl));
    proxy.server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.once('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((r) => proxy.server.listen(port, '127.0.0.1', () => r()));
    return proxy;
  }

  get dicomwebUrl(): string {
    return `http://127.0.0.1:${this.port}/dicom-web`;
  }

  /**
   * Resolves when the next WADO-RS series retrieval has sent its headers and first bytes; the proxy
   * then stops forwarding that response, so the client is left mid-transfer until `cutAll()`.
   */
  holdRetrieval(): Promise<void> {
    return new Promise((resolve) => (this.holdNextRetrieve = resolve));
  }

  /**
   * Resolves when the next STOW-RS has been stored by the PACS; its answer is never passed on, so the
   * client cannot know the store succeeded (the moment a crash hurts exactly-once delivery most).
   */
  swallowStowAnswer(): Promise<void> {
    return new Promise((resolve) => (this.swallowNextStowAnswer = resolve));
  }

  /**
   * From now on every answer sends its headers (Content-Length included) and half of its first chunk,
   * then nothing more: a PACS stalled mid-body. The connections stay open until `cutAll()` or `close()`.
   */
  stallAnswers(): void {
    this.stalling = true;
  }

  /**
   * The next `times` GET answers whose URL matches send their headers (Content-Length or chunked, as the
   * PACS sent them) and only their first `afterBytes` bytes (default: half), then the connection closes:
   * a PACS that cuts its answer mid-body.
   */
  cutAnswers(match: RegExp, times: number, afterBytes?: number): void {
    this.cuts.push({ match, remaining: times, afterBytes });
  }

  /** The next `times` GET requests whose URL matches lose their connection before any answer (a keep-alive connection closed under the client). */
  dropRequests(match: RegExp, times: number): void {
    this.drops.push({ match, remaining: times });
  }

  /** The next GET answer whose URL matches waits (headers included) until `release()`; `arrived` resolves when the PACS has answered it. */
  holdAnswer(match: RegExp): { arrived: Promise<void>; release: () => void } {
    let release!: () => void;
    let arrived!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const arrivedPromise = new Promise<void>((r) => (arrived = r));
    this.holds.push({ match, arrived, released });
    return { arrived: arrivedPromise, release };
  }

  /** Requests received so far whose `METHOD url` matches. */
  count(match: RegExp): number {
    return this.requests.filter((line) => match.test(line)).length;
  }

  /** Drops every open client connection at once. */
  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise((r) => this.server.close(r));
  }

  private forward(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    this.acceptEncodings.push(String(req.headers['accept-encoding'] ?? ''));
    const drop = req.method === 'GET' ? this.drops.find((d) => d.remaining > 0 && d.match.test(req.url ?? '')) : undefined;
    if (drop) {
      drop.remaining -= 1;
      req.socket.destroy();
      return;
    }
    const upstream = request(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const swallow = req.method === 'POST' && /\/studies(\/[^/]+)?$/.test(req.url ?? '') ? this.swallowNextStowAnswer : undefined;
        if (swallow) {
          this.swallowNextStowAnswer = undefined;
          answer.resume();
          return swallow();
        }
        const url = req.url ?? '';
        const cut = req.method === 'GET' ? this.cuts.find((c) => c.remaining > 0 && c.match.test(url)) : undefined;
        if (cut) {
          cut.remaining -= 1;
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const whole = Buffer.concat(chunks);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.write(whole.subarray(0, cut.afterBytes ?? whole.length >> 1), () => res.socket?.destroy());
          });
          return;
        }
        const holdAt = req.method === 'GET' ? this.holds.findIndex((h) => h.match.test(url)) : -1;
        if (holdAt >= 0) {
          const [hold] = this.holds.splice(holdAt, 1);
          answer.pause();
          hold!.arrived();
          void hold!.released.then(() => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (this.stalling) {
          answer.once('data', (chunk: Buffer) => {
            res.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
            answer.pause();
          });
          return;
        }
        const isRetrieve = req.method === 'GET' && /\/studies\/[^/]+\/series\/[^/?]+(\?|$)/.test(req.url ?? '') && answer.statusCode === 200;
        const hold = isRetrieve ? this.holdNextRetrieve : undefined;
        if (!hold) return void answer.pipe(res);
        this.holdNextRetrieve = undefined;
        answer.once('data', (chunk: Buffer) => {
          res.write(chunk);
          answer.pause();
          hold();
        });
      },
    );
    // PACS down: the client sees its connection dropped, not a friendly 502.
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  }
}

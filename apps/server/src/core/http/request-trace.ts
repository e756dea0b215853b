import { writeFileSync } from 'node:fs';
import type { Server, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

type TracedSocket = Socket & { acceptedAt?: number; served?: number };

/**
 * A diagnostic for benches (COVSEG_TRACE_HTTP=<file prefix>; off by default): for every request, the absolute
 * times (ms since the epoch, sub-ms) at which its connection was accepted, its head was parsed ('request'),
 * its answer's head was written and its last byte handed to the kernel, with the `x-bench-id` header and
 * Server-Timing. bench/load.bench.ts joins them with its own send/receive times to say where a slow request
 * waited. Written to `<prefix>.<role>.<pid>` (JSON lines) each second while requests come in.
 */
export function traceRequests(server: Server, filePrefix: string, role: string): void {
  const now = () => performance.timeOrigin + performance.now();
  const rows: string[] = [];
  server.prependListener('connection', (socket: TracedSocket) => {
    socket.acceptedAt = now();
  });
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const parsedAt = now();
    const socket = request.socket as TracedSocket;
    socket.served = (socket.served ?? 0) + 1;
    const nth = socket.served;
    let headAt = 0;
    const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
    response.writeHead = ((...args: unknown[]) => {
      headAt = now();
      return writeHead(...args);
    }) as ServerResponse['writeHead'];
    response.on('finish', () =>
      rows.push(JSON.stringify({ id: request.headers['x-bench-id'], url: request.url?.slice(0, 60), accept: socket.acceptedAt, nth, request: parsedAt, head: headAt, finish: now(), st: response.getHeader('server-timing') })),
    );
  });
  let written = 0;
  setInterval(() => {
    if (rows.length === written) return;
    written = rows.length;
    writeFileSync(`${filePrefix}.${role}.${process.pid}`, rows.join('\n'));
  }, 1000).unref();
}

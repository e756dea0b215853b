import { expect } from 'vitest';

/** expect.poll with a timeout that suits a browser, a server and a PACS sharing two busy CPUs. */
export function poll<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 20_000, interval: 100 });
}

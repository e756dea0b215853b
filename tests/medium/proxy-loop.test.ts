import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess, spawnServerProcess, TEST_ADMIN_TOKEN } from '../support/server';

/** HTTP requests a server answered so far, all methods and statuses (covseg_http_requests_total). */
async function answered(server: ServerProcess): Promise<number> {
  const text = await (await server.request('/metrics')).text();
  return [...text.matchAll(/^covseg_http_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * Two real server processes whose PACS endpoints point at each other's DICOMweb proxy (two sites that
 * configured each other, or a typo): a request to either must end at once with 508 Loop Detected,
 * not bounce between them until sockets or timeouts run out.
 */
describe('a PACS loop through two of our servers', () => {
  let x: ServerProcess;
  let y: ServerProcess;
  let onX: string;
  let onY: string;

  beforeAll(async () => {
    [x, y] = [await spawnServerProcess(), await spawnServerProcess()];
    const create = async (server: ServerProcess, name: string, baseUrl: string) =>
      (await server.json<{ id: string }>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name, baseUrl, authType: 'bearer', secret: TEST_ADMIN_TOKEN, timeoutMs: 20_000 }) })).id;
    // Each proxy URL needs the other's endpoint id: X's endpoint is created first, then pointed at Y's.
    onX = await create(x, 'site-y', 'http://127.0.0.1:9/dicom-web');
    onY = await create(y, 'site-x', `${x.baseUrl}/api/dicomweb/${onX}`);
    await x.json(`/api/pacs-endpoints/${onX}`, { method: 'PATCH', body: JSON.stringify({ baseUrl: `${y.baseUrl}/api/dicomweb/${onY}` }) });
  }, 180_000);
  afterAll(async () => {
    await x?.stop();
    await y?.stop();
  });

  it('ends a proxied request X → Y → X at its second visit to X with 508, in a handful of requests', async () => {
    const before = [await answered(x), await answered(y)];
    const answer = await x.request(`/api/dicomweb/${onX}/studies`, { headers: { accept: 'application/dicom+json' }, signal: AbortSignal.timeout(60_000) });
    await answer.arrayBuffer();
    // X refused the request it had sent itself (through Y); Y passed that answer back as the PACS's, and so did X.
    expect(answer.status).toBe(508);
    const after = [await answered(x), await answered(y)];
    // X: the user's request, the looped hop, the two scrapes; Y: one hop and one scrape. Background
    // health probes of the two endpoints may add a few; a loop would add thousands.
    expect(after[0] - before[0]).toBeLessThanOrEqual(8);
    expect(after[1] - before[1]).toBeLessThanOrEqual(8);
  });

  it('refuses a request whose Via chain is already as long as a loop through many proxies', async () => {
    const via = Array.from({ length: 16 }, (_, i) => `1.1 proxy-${i}`).join(', ');
    const answer = await y.request(`/api/dicomweb/${onY}/studies`, { headers: { accept: 'application/dicom+json', via } });
    expect(answer.status).toBe(508);
    expect((await answer.json()).message).toMatch(/16 or more proxies/);
  });
});

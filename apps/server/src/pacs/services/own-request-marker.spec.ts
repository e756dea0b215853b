import { describe, expect, it } from 'vitest';
import { MAX_VIA_HOPS, OwnRequestMarker, viaHops } from './own-request-marker';

describe('OwnRequestMarker', () => {
  it('appends its hop to the chain a proxied request arrived with, so a loop back to it is recognised', () => {
    const x = new OwnRequestMarker();
    const y = new OwnRequestMarker();
    const fromX = x.viaAfter(undefined);
    const fromY = y.viaAfter(fromX);
    expect(viaHops(fromY)).toEqual([x.via, y.via]);
    expect(x.isOwn(fromY)).toBe(true);
    expect(y.isOwn(fromX)).toBe(false);
  });

  it('passes on only the protocol and name of each hop of the caller’s Via (no comments, nothing after a line break) and at most the last hops', () => {
    const marker = new OwnRequestMarker();
    expect(marker.viaAfter(['1.1 gateway (Apache)', 'HTTP/2 edge\r\nX-Injected: 1', '1.0 fred', 'lonely'])).toBe(`1.1 gateway, HTTP/2 edge, 1.0 fred, ${marker.via}`);
    const long = Array.from({ length: 40 }, (_, i) => `1.1 p${i}`).join(', ');
    const hops = viaHops(marker.viaAfter(long));
    expect(hops).toHaveLength(MAX_VIA_HOPS);
    expect(hops.at(-1)).toBe(marker.via);
    expect(hops[0]).toBe(`1.1 p${40 - MAX_VIA_HOPS + 1}`);
  });
});

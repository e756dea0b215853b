import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, moduleGraph } from './module-graph';

describe('the server module graph', () => {
  it('has no loop between the module folders of apps/server/src', () => {
    const graph = moduleGraph(join(__dirname));
    // Sanity: the graph really was read (the composition root imports every module).
    expect([...(graph.get('(root)') ?? [])]).toEqual(expect.arrayContaining(['core', 'jobs', 'pacs', 'viewer-api']));
    expect(findCycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('keeps core at the bottom: it imports no other module of the server', () => {
    expect([...(moduleGraph(join(__dirname)).get('core') ?? [])]).toEqual([]);
  });

  it('finds a loop that closes through several folders, and names it', () => {
    const graph = new Map([
      ['jobs', new Set(['trust'])],
      ['trust', new Set(['services'])],
      ['services', new Set(['jobs'])],
      ['core', new Set<string>()],
    ]);
    expect(findCycles(graph).map((cycle) => cycle.join(' → '))).toEqual(['jobs → trust → services → jobs']);
  });

  it('finds no loop in a graph whose edges only point down', () => {
    const graph = new Map([
      ['viewer-api', new Set(['jobs', 'core'])],
      ['jobs', new Set(['core'])],
      ['core', new Set<string>()],
    ]);
    expect(findCycles(graph)).toEqual([]);
  });
});

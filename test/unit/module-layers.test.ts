import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../support/source.ts';

/**
 * Issue 15: the modules form layers, drawn in src/modules/README.md. A module
 * imports modules of its own layer or below, never above, and no chain of
 * imports between modules comes back to where it started. The test reads the
 * code, the way the authorization matrix walks the router: a new module must
 * be given a layer here, and an import against the layers fails.
 */

/** Lowest first. Keep in step with src/modules/README.md. */
const LAYERS: string[][] = [
  ['accounts', 'audit', 'mail', 'plans', 'rate-limits'],
  ['owners'],
  ['tenancy'],
  ['resources'],
  ['usage'],
  ['applications'],
  ['dashboards'],
  ['invitations'],
  ['billing'],
  ['members'],
  ['organizations'],
  ['admin', 'device-api', 'sandbox'],
  ['api'],
];

/**
 * Files that wire the modules together: they import modules, no module
 * imports them. The scheduler's job list is wiring too, but the back-office
 * (top layer) runs a pass of it on demand.
 */
const WIRING = ['app.ts', 'server.ts', 'runtime.ts', 'cli.ts', 'scheduler/jobs.ts'];
// The back-office (admin) runs a scheduler pass on demand.
const MAY_RUN_JOBS = new Set(['admin', 'device-api', 'sandbox']);

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const modulesDir = join(src, 'modules');

/** The relative imports and re-exports of a file, resolved to paths under src/. */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(resolve(dirname(file), m[1]!));
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(resolve(dirname(file), m[1]!));
  for (const m of text.matchAll(/\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

const moduleOf = (path: string): string | null => {
  const rel = relative(modulesDir, path);
  return rel.startsWith('..') ? null : rel.split('/')[0]!;
};

interface Edge {
  from: string;
  to: string;
  file: string;
  target: string;
}

function moduleEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of tsFiles(modulesDir)) {
    for (const target of importsOf(file, readFileSync(file, 'utf8'))) {
      const from = moduleOf(file);
      const to = moduleOf(target);
      if (from && to && from !== to) edges.push({ from, to, file: relative(src, file), target: relative(src, target) });
    }
  }
  return edges;
}

/** Every cycle's modules (strongly connected components of more than one module), Tarjan's algorithm. */
export function cyclesOf(edges: { from: string; to: string }[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    if (!graph.has(e.to)) graph.set(e.to, new Set());
    graph.get(e.from)!.add(e.to);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const layerOf = new Map(LAYERS.flatMap((modules, i) => modules.map((m) => [m, i] as const)));

describe('module layers (issue 15)', () => {
  it('gives every module a layer, and names no module that is gone', () => {
    const modules = readdirSync(modulesDir).filter((name) => statSync(join(modulesDir, name)).isDirectory());
    expect(modules.filter((m) => !layerOf.has(m)), 'modules without a layer: add them to LAYERS and README.md').toEqual([]);
    expect([...layerOf.keys()].filter((m) => !modules.includes(m))).toEqual([]);
  });

  it('draws every module in src/modules/README.md', () => {
    const readme = readFileSync(join(modulesDir, 'README.md'), 'utf8');
    expect([...layerOf.keys()].filter((m) => !new RegExp(`(^|[\\s·])${m}(\\s|$)`, 'm').test(readme))).toEqual([]);
  });

  it('has no module import a module of a higher layer', () => {
    const upward = moduleEdges()
      .filter((e) => layerOf.get(e.to)! > layerOf.get(e.from)!)
      .map((e) => `${e.from} -> ${e.to}: ${e.file} imports ${e.target}`);
    expect(upward).toEqual([]);
  });

  it('has no import cycle between modules', () => {
    expect(cyclesOf(moduleEdges())).toEqual([]);
  });

  it('has no module import the wiring (app, server, runtime, cli; scheduler jobs only from the top layer)', () => {
    const wiring = new Set(WIRING.map((w) => join(src, w)));
    const offending = tsFiles(modulesDir).flatMap((file) =>
      importsOf(file, readFileSync(file, 'utf8'))
        .filter((t) => wiring.has(t) && !(MAY_RUN_JOBS.has(moduleOf(file)!) && t === join(src, 'scheduler/jobs.ts')))
        .map((t) => `${relative(src, file)} imports ${relative(src, t)}`),
    );
    expect(offending).toEqual([]);
  });

  it('finds a cycle and an upward import when there is one (the checks can fail)', () => {
    expect(cyclesOf([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }])).toEqual([['a', 'b', 'c']]);
    expect(cyclesOf([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])).toEqual([]);
    const file = join(modulesDir, 'tenancy/access.ts');
    const text = "import { x } from '../billing/queries.ts';\nexport { y } from './z.ts';\nimport '../mail/mailer.ts';\nconst m = await import('../usage/queries.ts');";
    expect(importsOf(file, text)).toEqual([
      join(modulesDir, 'billing/queries.ts'),
      join(modulesDir, 'tenancy/z.ts'),
      join(modulesDir, 'mail/mailer.ts'),
      join(modulesDir, 'usage/queries.ts'),
    ]);
  });
});

// `npm run build`, and the prestart of `npm start` and `npm run cli`: the
// production build. The server and the CLI are each bundled into one ES
// module in dist/ with their npm dependencies left as imports, and the
// migrations are compiled one for one into dist/migrations/, where
// src/db/migrate.ts looks for them when it runs compiled. dist/ sits one
// directory below the project root as src/ does, so views/, public/ and
// node_modules resolve the same from both.
//
// esbuild only strips types (type-checking is `npm run typecheck`): about a
// tenth of a second, no network. It builds into a fresh directory and then
// swaps it for dist/, so a server or CLI starting from dist/ meanwhile never
// sees it half-written.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
const fresh = join(root, `.dist-build-${process.pid}`);
const stale = join(root, `.dist-old-${process.pid}`);
const common = { platform: 'node', target: 'node20', format: 'esm', sourcemap: 'linked', logLevel: 'warning' };

const started = performance.now();
// The Docker image ships dist/ without src/ (and may not write to /app): there
// `npm start` and `npm run cli` run what was built into the image.
if (!existsSync(join(root, 'src')) && existsSync(join(outdir, 'server.js'))) {
  console.error('[build] no src/: using the dist/ already built');
  process.exit(0);
}
const { build } = await import('esbuild');
try {
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, 'src/server.ts'), join(root, 'src/cli.ts')],
      outdir: fresh,
      bundle: true,
      packages: 'external',
    }),
    build({
      ...common,
      entryPoints: readdirSync(join(root, 'migrations'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(root, 'migrations', f)),
      outdir: join(fresh, 'migrations'),
    }),
  ]);
  try {
    renameSync(outdir, stale);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  try {
    renameSync(fresh, outdir);
  } catch (err) {
    // Another build finished at the same moment and put its dist/ in place: the same sources, so use it.
    if (!((err.code === 'ENOTEMPTY' || err.code === 'EEXIST') && existsSync(join(outdir, 'server.js')))) throw err;
  }
} finally {
  rmSync(fresh, { recursive: true, force: true });
  rmSync(stale, { recursive: true, force: true });
}
console.error(`[build] dist/ in ${Math.round(performance.now() - started)} ms`);

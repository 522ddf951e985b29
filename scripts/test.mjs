// `npm test`: type-check, make sure Chromium is there, then every Vitest
// project: unit, integration on SQLite (and on PostgreSQL when
// TEST_DATABASE_URL is set), and the browser journeys.
import { spawnSync } from 'node:child_process';
import { ensureChromium } from './ensure-chromium.mjs';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const step = (label, cmd, args) => {
  console.log(`\n[test] ${label}`);
  const res = spawnSync(cmd, args, { stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
};

if (ci && !process.env.TEST_DATABASE_URL) {
  console.error('[test] CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI.');
  process.exit(1);
}
if (!process.env.TEST_DATABASE_URL) {
  console.log('[test] TEST_DATABASE_URL is not set: integration tests run on SQLite only.');
}

step('Type-checking', 'npx', ['tsc', '--noEmit']);
try {
  console.log(`\n[test] Chromium: ${ensureChromium()}`);
} catch (err) {
  console.error(`[test] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
step('Running the test suite', 'npx', ['vitest', 'run', ...process.argv.slice(2)]);

// Makes sure the browser tests have a Chromium: CHROMIUM_PATH, else Debian's
// /usr/bin/chromium. When it is missing and we are root with apt, installs
// Debian's "chromium" package (no other browser download is possible here).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function ensureChromium() {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(path)) return path;
  if (process.env.CHROMIUM_PATH) {
    throw new Error(`CHROMIUM_PATH is set to ${path}, which does not exist.`);
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      'The browser tests need Chromium and it is not installed.\n' +
        'On Debian/Ubuntu run:  sudo apt-get install -y chromium\n' +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
  console.log('[test] Chromium is missing: installing Debian\'s "chromium" package with apt-get…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  if (!existsSync(path)) throw new Error(`apt-get installed chromium but ${path} is still missing.`);
  return path;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(`[test] Chromium: ${ensureChromium()}`);
  } catch (err) {
    console.error(`[test] ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}

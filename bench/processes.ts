import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningServer {
  name: string;
  url: string;
  pid: number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number;
  stop(): Promise<void>;
}

/**
 * The ports the bench's servers may listen on: `--ports FROM-TO` (or
 * BENCH_PORTS), for machines where several people share the loopback ports;
 * by default any free port the system hands out.
 */
let portRange: { from: number; to: number } | undefined;
let nextPort = 0;
export function usePortRange(spec: string | undefined): void {
  if (!spec) return;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(spec.trim());
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2]) : NaN;
  if (!m || from < 1 || to > 65_535 || from > to) throw new Error(`--ports must be FROM-TO (like 4300-4399), not ${JSON.stringify(spec)}`);
  portRange = { from, to };
  nextPort = from;
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  if (!portRange) return listenOn(0);
  const size = portRange.to - portRange.from + 1;
  for (let tried = 0; tried < size; tried++) {
    const port = nextPort;
    nextPort = port === portRange.to ? portRange.from : port + 1;
    try {
      return await listenOn(port);
    } catch {
      // taken: the next one
    }
  }
  throw new Error(`no free port in ${portRange.from}-${portRange.to}`);
}

/** VmHWM (peak) or VmRSS of a process, in bytes, from /proc. */
export function procMemory(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

/**
 * Starts `node <args>` as its own process on a free loopback port and waits
 * until `readyPath` answers.
 */
export async function startProcess(opts: {
  name: string;
  args: string[];
  env: Record<string, string>;
  readyPath: string;
}): Promise<RunningServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, opts.args, {
    cwd: root,
    env: { ...process.env, ...opts.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`${opts.name} exited before it was ready`);
    try {
      const res = await fetch(url + opts.readyPath);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} did not answer ${opts.readyPath} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    name: opts.name,
    url,
    pid,
    peakRss: () => procMemory(pid, 'VmHWM'),
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * What `npm start` runs after its prestart build: the arguments of its
 * `node …` command (V8 flags and the compiled server), read from package.json
 * so the bench cannot drift from production.
 */
export function productionNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = pkg.scripts.start!.trim().split(/\s+/);
  if (command !== 'node' || args.some((a) => /['"$&|;]/.test(a))) {
    throw new Error(`bench: expected package.json "start" to be a plain \`node …\` command, not ${JSON.stringify(pkg.scripts.start)}`);
  }
  return args;
}

let built = false;
/** The production build (scripts/build.mjs, as `npm start`'s prestart), once per bench run, so the code measured is the code checked out. */
function buildOnce(): void {
  if (built) return;
  const res = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('bench: the production build (scripts/build.mjs) failed');
  built = true;
}

/** The application in production mode, as `npm start` runs it (compiled, with its V8 flags), on a seeded database. */
export function startApp(name: string, databaseEnv: Record<string, string>, nodeArgs: string[] = []): Promise<RunningServer> {
  buildOnce();
  return startProcess({
    name,
    args: [...nodeArgs, ...productionNodeArgs()],
    readyPath: '/health',
    env: {
      NODE_ENV: 'production',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      // The bench pays with the simulated gateway (R13.6: production needs this said).
      PAYMENTS: 'simulated',
      SCHEDULER: 'off',
      LOG_LEVEL: 'warn',
      // Only one of these is set by the database; clear the other.
      DATABASE_URL: '',
      SQLITE_FILE: '',
      ...databaseEnv,
    },
  });
}

/** The yardstick: a bare Fastify hello world in its own process. */
export function startHello(): Promise<RunningServer> {
  return startProcess({ name: 'hello', args: ['--import', 'tsx', 'bench/hello.ts'], readyPath: '/', env: {} });
}

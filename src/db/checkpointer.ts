import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite in WAL mode copies the log back into the database file
 * ("checkpoints") from the connection whose commit crosses
 * `wal_autocheckpoint` pages. better-sqlite3 is synchronous, so that commit
 * stalls the whole server: under the device API's load 7 % of commits took
 * over 5 ms (up to 200 ms) and made 60 % of all commit time.
 *
 * This runs the checkpoints on a second connection in a worker thread, every
 * `intervalMs`, in PASSIVE mode (it never blocks the server's reads or
 * writes). With `synchronous = NORMAL` the log is synced to disk when a
 * checkpoint has frames to copy, so while there are writes a commit reaches
 * the disk within about `intervalMs` — bounded in time rather than in pages.
 * The server's own connection keeps a much higher `wal_autocheckpoint` as a
 * fallback should this fall behind, and goes back to SQLite's default if the
 * worker ends unexpectedly (`onUnexpectedExit`).
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = NORMAL');
let stopped = false;
function checkpoint() {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop' || stopped) return;
  stopped = true;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage({ stopped: true });
  parentPort.close();
});
`;

const require = createRequire(import.meta.url);

export function startCheckpointer(
  file: string,
  opts: { intervalMs?: number; onError?: (message: string) => void; onUnexpectedExit?: () => void } = {},
): Checkpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    // The worker runs plain JavaScript: no loader of the parent's is needed.
    execArgv: [],
    workerData: { file, intervalMs: opts.intervalMs ?? 1000, driver: require.resolve('better-sqlite3') },
  });
  // A server that exits does not wait for its checkpointer.
  worker.unref();
  worker.on('message', (message: { error?: string }) => {
    if (message.error) opts.onError?.(message.error);
  });
  worker.on('error', (err) => opts.onError?.(err.message));
  let stopping: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!stopping) opts.onUnexpectedExit?.();
      resolve();
    }),
  );
  return {
    stop() {
      stopping ??= (async () => {
        // Until it has stopped, the worker keeps the process alive: a caller
        // awaiting this with nothing else pending must not see Node exit.
        worker.ref();
        worker.postMessage('stop');
        // A worker that does not answer is ended rather than waited for.
        const timer = setTimeout(() => void worker.terminate(), 5_000);
        timer.unref();
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

import { buildApp } from './app.ts';
import { ConfigError } from './config.ts';
import { createRuntimeDeps } from './runtime.ts';
import { Scheduler } from './scheduler/scheduler.ts';

// Listens and shuts down cleanly; everything else lives in app.ts.
async function main() {
  const deps = await createRuntimeDeps();
  const app = await buildApp(deps);
  const scheduler = new Scheduler(deps, app.log);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await scheduler.stop();
    await app.close();
    await deps.limiter.close();
    await deps.db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: deps.config.port, host: deps.config.host });
  if (deps.config.runScheduler) scheduler.start();
  const db = deps.config.databaseUrl ? 'PostgreSQL' : `SQLite (${deps.config.sqliteFile})`;
  app.log.info(`Orgplane is ready on ${deps.config.publicUrl} using ${db}`);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});

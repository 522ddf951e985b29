import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { migrateLatest } from './db/migrate.ts';
import { createPlatformAdmin } from './modules/accounts/create-platform-admin.ts';
import { createRuntimeDeps } from './runtime.ts';
import { jobs } from './scheduler/jobs.ts';
import { runPass } from './scheduler/registry.ts';
import { assertNever } from './assert-never.ts';

const usage = `Usage: npm run cli -- <command>

Commands:
  migrate                                  apply pending database migrations
  admin:create <email> [--password <pw>]   create or promote a platform admin (R2.4)
  scheduler:run [--at <ISO-8601>]          run one scheduler pass as if at that instant (R12.1)
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'migrate': {
      const config = loadConfig();
      const applied = await migrateLatest({ databaseUrl: config.databaseUrl, sqliteFile: config.sqliteFile });
      console.log(applied.length ? `Applied ${applied.length} migrations:\n  ${applied.join('\n  ')}` : 'Already up to date.');
      return 0;
    }
    case 'admin:create': {
      const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, options: { password: { type: 'string' } } });
      const email = positionals[0];
      if (!email || positionals.length > 1) throw new UsageError('admin:create takes one email address.');
      const deps = await createRuntimeDeps();
      try {
        const result = await createPlatformAdmin(deps.db, deps.clock, { email, password: values.password });
        if (!result.ok) {
          switch (result.reason) {
            case 'invalid_email':
              throw new UsageError(`"${email}" is not a valid email address.`);
            case 'password_too_short':
              throw new UsageError('The password must be at least 10 characters.');
            default:
              return assertNever(result.reason);
          }
        }
        if (result.outcome === 'promoted') console.log(`${result.email} is now a platform admin.`);
        else {
          console.log(`Created platform admin ${result.email}.`);
          if (result.generatedPassword) console.log(`Password (shown once): ${result.generatedPassword}`);
        }
      } finally {
        await deps.db.close();
      }
      return 0;
    }
    case 'scheduler:run': {
      const { values } = parseArgs({ args: rest, options: { at: { type: 'string' } } });
      const deps = await createRuntimeDeps();
      try {
        let at = deps.clock.now();
        if (values.at !== undefined) {
          at = new Date(values.at);
          if (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || Number.isNaN(at.getTime()))
            throw new UsageError(`--at needs an ISO-8601 instant such as 2026-03-01T00:00:00Z, not "${values.at}".`);
        }
        const report = await runPass(jobs, deps, at);
        console.log(`Scheduler pass at ${report.at.toISOString()}`);
        for (const r of report.results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.job}: ${r.summary}`);
        return report.results.every((r) => r.ok) ? 0 : 1;
      } finally {
        await deps.db.close();
      }
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(usage);
      return command === undefined ? 1 : 0;
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`${err.message}\n\n${usage}`);
      process.exit(2);
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`${err.message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);

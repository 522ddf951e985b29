import { defineConfig } from 'vitest/config';

// Integration tests run on SQLite always, and on PostgreSQL too when
// TEST_DATABASE_URL is set (each file in its own schema, dropped after).
const postgresUrl = process.env.TEST_DATABASE_URL;
const integrationFiles = ['test/integration/**/*.test.ts', 'test/billing/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: integrationFiles,
          env: { TEST_DB: 'sqlite' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      ...(postgresUrl
        ? [
            {
              test: {
                name: 'integration-postgres',
                include: integrationFiles,
                env: { TEST_DB: 'postgres' },
                testTimeout: 30_000,
                hookTimeout: 30_000,
              },
            },
          ]
        : []),
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // A click may wait on argon2 and a page render; on a busy 2-core
          // machine that passes vitest's 1 s polling default (a wrong dashboard
          // password once took longer). Polls still stop at the first match.
          expect: { poll: { timeout: 10_000 } },
          fileParallelism: false,
        },
      },
    ],
  },
});

import type { Config } from '../src/config.ts';

/** The configuration the bench's in-process parts (seeding, the renewal pass) run with. */
export function benchConfig(): Config {
  return {
    nodeEnv: 'production',
    isProduction: true,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    sqliteFile: ':memory:',
    sessionSecret: 'bench-session-secret-that-is-long-enough-0123456789',
    smtpUrl: undefined,
    stripeSecretKey: undefined,
    stripePublishableKey: undefined,
    stripeWebhookSecret: undefined,
    publicUrl: 'http://localhost:3000',
    secureCookies: false,
    trustProxy: false,
    payments: 'simulated',
    redisUrl: undefined,
    authRateLimit: 10,
    deviceRateLimit: 600,
    apiRateLimit: 1_000_000_000,
    runScheduler: false,
    logLevel: 'warn',
    seller: { name: 'Orgplane', address: [], taxId: undefined },
  };
}

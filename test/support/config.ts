import type { Config } from '../../src/config.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    nodeEnv: 'test',
    isProduction: false,
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    sqliteFile: ':memory:',
    sessionSecret: 'test-session-secret-that-is-long-enough-0123456789',
    smtpUrl: undefined,
    stripeSecretKey: undefined,
    stripePublishableKey: undefined,
    stripeWebhookSecret: undefined,
    publicUrl: 'http://localhost:3000',
    authRateLimit: 1000,
    runScheduler: false,
    logLevel: 'silent',
    seller: { name: 'Orgplane', address: [], taxId: undefined },
    ...overrides,
  };
}

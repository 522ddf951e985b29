import type { Config } from '../../src/config.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  const publicUrl = overrides.publicUrl ?? 'http://localhost:3000';
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
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    trustProxy: false,
    payments: overrides.stripeSecretKey ? 'stripe' : 'simulated',
    redisUrl: undefined,
    authRateLimit: 1000,
    deviceRateLimit: 600,
    apiRateLimit: 600,
    runScheduler: false,
    logLevel: 'silent',
    seller: { name: 'Orgplane', address: [], taxId: undefined },
    ...overrides,
  };
}

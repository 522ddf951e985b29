import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'orgplane-config-'));

describe('loadConfig (§0, issue 2: env validated once at boot)', () => {
  it('defaults to SQLite under data/ on port 3000 with no keys', () => {
    const dir = tmp();
    const c = loadConfig({}, dir);
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.sqliteFile).toBe(join(dir, 'orgplane.sqlite'));
    expect(c.stripeSecretKey).toBeUndefined();
    expect(c.stripePublishableKey).toBeUndefined();
    expect(c.publicUrl).toBe('http://localhost:3000');
  });

  it('the seller printed on invoices (R9.14): Orgplane by default, else the configured name, address lines and tax ID', () => {
    expect(loadConfig({}, tmp()).seller).toEqual({ name: 'Orgplane', address: [], taxId: undefined });
    const c = loadConfig({ SELLER_NAME: ' Orgplane Inc. ', SELLER_ADDRESS: '1 Example Way | Springfield, IL 62701 || United States', SELLER_TAX_ID: 'US-12-3456789' }, tmp());
    expect(c.seller).toEqual({ name: 'Orgplane Inc.', address: ['1 Example Way', 'Springfield, IL 62701', 'United States'], taxId: 'US-12-3456789' });
    expect(() => loadConfig({ SELLER_NAME: 'Evil\nCo' }, tmp())).toThrow(/SELLER_NAME: must be one line/);
    expect(() => loadConfig({ SELLER_ADDRESS: 'x'.repeat(501) }, tmp())).toThrow(/SELLER_ADDRESS: must be at most 500 characters/);
  });

  it('generates a session secret once outside production and keeps it under data/', () => {
    const dir = tmp();
    const first = loadConfig({}, dir).sessionSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'session-secret'), 'utf8').trim()).toBe(first);
    expect(loadConfig({}, dir).sessionSecret).toBe(first);
  });

  it('requires SESSION_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, tmp())).toThrow(/SESSION_SECRET: required in production/);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ STRIPE_SECRET_KEY: 'pk_test_123' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_PUBLISHABLE_KEY: 'sk_test_123' }, 'STRIPE_PUBLISHABLE_KEY'],
    [{ STRIPE_SECRET_KEY: 'sk_test_123' }, 'STRIPE_PUBLISHABLE_KEY: required when STRIPE_SECRET_KEY is set'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('names the bad variable: %o', (env, name) => {
    expect(() => loadConfig(env, tmp())).toThrow(ConfigError);
    expect(() => loadConfig(env, tmp())).toThrow(new RegExp(name));
  });

  it('reads every variable', () => {
    const c = loadConfig(
      {
        NODE_ENV: 'production',
        PORT: '8080',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgres://u@h/db',
        SESSION_SECRET: 'x'.repeat(40),
        SMTP_URL: 'smtp://mail:25',
        STRIPE_SECRET_KEY: 'sk_test_abc',
        STRIPE_PUBLISHABLE_KEY: 'pk_test_abc',
        STRIPE_WEBHOOK_SECRET: 'whsec_abc',
        PUBLIC_URL: 'https://orgplane.example/',
        TRUST_PROXY: '1',
        REDIS_URL: 'redis://cache:6379',
      },
      tmp(),
    );
    expect(c).toMatchObject({
      isProduction: true,
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgres://u@h/db',
      smtpUrl: 'smtp://mail:25',
      stripeSecretKey: 'sk_test_abc',
      stripePublishableKey: 'pk_test_abc',
      stripeWebhookSecret: 'whsec_abc',
      publicUrl: 'https://orgplane.example',
      secureCookies: true,
      trustProxy: 1,
      payments: 'stripe',
      redisUrl: 'redis://cache:6379',
    });
  });

  it('R13.6: production refuses the simulated gateway unless PAYMENTS=simulated says so', () => {
    const prod = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) };
    expect(() => loadConfig(prod, tmp())).toThrow(/PAYMENTS: production needs STRIPE_SECRET_KEY/);
    expect(loadConfig({ ...prod, PAYMENTS: 'simulated' }, tmp()).payments).toBe('simulated');
    expect(loadConfig({ ...prod, STRIPE_SECRET_KEY: 'sk_live_1', STRIPE_PUBLISHABLE_KEY: 'pk_live_1' }, tmp()).payments).toBe('stripe');
    expect(() => loadConfig({ ...prod, PAYMENTS: 'stripe' }, tmp())).toThrow(/PAYMENTS: stripe needs STRIPE_SECRET_KEY/);
    expect(() => loadConfig({ PAYMENTS: 'simulated', STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_PUBLISHABLE_KEY: 'pk_test_1' }, tmp())).toThrow(/PAYMENTS/);
    expect(() => loadConfig({ PAYMENTS: 'paypal' }, tmp())).toThrow(/PAYMENTS/);
    // Outside production the simulated gateway stays the no-setup default.
    expect(loadConfig({}, tmp()).payments).toBe('simulated');
  });

  it('R13.3: TRUST_PROXY is none when unset, a hop count, or a list of addresses and CIDR ranges', () => {
    expect(loadConfig({}, tmp()).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }, tmp()).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }, tmp()).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1 ,fd00::/8,loopback' }, tmp()).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['true', 'yes', '10.0.0.0/33', '10.0.0/8', 'proxy.example', '::1/129', '1.2.3.4/8/1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }, tmp()), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it('R13.4: cookies are Secure exactly when PUBLIC_URL is https', () => {
    expect(loadConfig({}, tmp()).secureCookies).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://orgplane.example' }, tmp()).secureCookies).toBe(true);
    expect(loadConfig({ PUBLIC_URL: 'http://orgplane.example' }, tmp()).secureCookies).toBe(false);
  });

  it('reads REDIS_URL and DEVICE_RATE_LIMIT', () => {
    const c = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2', DEVICE_RATE_LIMIT: '120' }, tmp());
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379/2');
    expect(c.deviceRateLimit).toBe(120);
    expect(loadConfig({}, tmp()).deviceRateLimit).toBe(600);
    expect(() => loadConfig({ REDIS_URL: 'http://x' }, tmp())).toThrow(/REDIS_URL/);
  });
});


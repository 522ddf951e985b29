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
    });
  });
});

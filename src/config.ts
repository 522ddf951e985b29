import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

/** Everything the program reads from the environment, validated once at boot. */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  /** postgres://… selects PostgreSQL; unset means the embedded SQLite file. */
  databaseUrl: string | undefined;
  sqliteFile: string;
  sessionSecret: string;
  smtpUrl: string | undefined;
  stripeSecretKey: string | undefined;
  /** pk_…: handed to Stripe.js in the browser; required with stripeSecretKey. */
  stripePublishableKey: string | undefined;
  stripeWebhookSecret: string | undefined;
  publicUrl: string;
  /** Attempts per minute per client address on log in and sign up (R13.1). */
  authRateLimit: number;
  /** Start the in-process scheduler (off in tests, which run passes explicitly). */
  runScheduler: boolean;
  logLevel: string;
  /** R9.14: the seller printed on every invoice: legal name, address lines, tax ID. */
  seller: { name: string; address: string[]; taxId: string | undefined };
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
/** One line of printable text (no control characters), trimmed. */
function sellerText(max: number) {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must be one line without control characters (separate address lines with |)');
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  ),
  SQLITE_FILE: z.preprocess(emptyToUndefined, z.string().optional()),
  SESSION_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  SMTP_URL: z.preprocess(emptyToUndefined, z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
  STRIPE_SECRET_KEY: z.preprocess(emptyToUndefined, z.string().regex(/^(sk|rk)_/, 'must start with sk_ or rk_').optional()),
  STRIPE_PUBLISHABLE_KEY: z.preprocess(emptyToUndefined, z.string().regex(/^pk_/, 'must start with pk_').optional()),
  STRIPE_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().regex(/^whsec_/, 'must start with whsec_').optional()),
  PUBLIC_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),
  AUTH_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  SCHEDULER: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  SELLER_NAME: z.preprocess(emptyToUndefined, sellerText(200).default('Orgplane')),
  SELLER_ADDRESS: z.preprocess(emptyToUndefined, sellerText(500).optional()),
  SELLER_TAX_ID: z.preprocess(emptyToUndefined, sellerText(50).optional()),
});

export class ConfigError extends Error {}

/**
 * Reads and validates the environment. A missing SESSION_SECRET outside
 * production is generated once and kept in data/session-secret so sessions
 * survive restarts; in production it is an error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, dataDir = resolve('data')): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  let sessionSecret = e.SESSION_SECRET;
  if (!sessionSecret) {
    if (isProduction) throw new ConfigError('Invalid environment:\n  SESSION_SECRET: required in production');
    sessionSecret = persistentDevSecret(resolve(dataDir, 'session-secret'));
  }
  // The browser collects cards with Stripe.js (R9.6), which needs the publishable key.
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_PUBLISHABLE_KEY) {
    throw new ConfigError('Invalid environment:\n  STRIPE_PUBLISHABLE_KEY: required when STRIPE_SECRET_KEY is set');
  }
  const port = e.PORT;
  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    port,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    sqliteFile: e.SQLITE_FILE ?? resolve(dataDir, 'orgplane.sqlite'),
    sessionSecret,
    smtpUrl: e.SMTP_URL,
    stripeSecretKey: e.STRIPE_SECRET_KEY,
    stripePublishableKey: e.STRIPE_PUBLISHABLE_KEY,
    stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    authRateLimit: e.AUTH_RATE_LIMIT,
    runScheduler: e.SCHEDULER === 'on',
    logLevel: e.LOG_LEVEL ?? (isProduction ? 'info' : e.NODE_ENV === 'test' ? 'silent' : 'info'),
    seller: {
      name: e.SELLER_NAME,
      address: (e.SELLER_ADDRESS ?? '').split('|').map((l) => l.trim()).filter(Boolean),
      taxId: e.SELLER_TAX_ID,
    },
  };
}

function persistentDevSecret(file: string): string {
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
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
  /** R13.4: PUBLIC_URL is https, so every cookie is Secure (whatever a request's own scheme). */
  secureCookies: boolean;
  /**
   * R13.3: whose X-Forwarded-* headers count. false: nobody's (the socket's
   * address is the client); a number: that many proxy hops in front of us; a
   * list: proxies at these addresses or CIDR ranges.
   */
  trustProxy: false | number | string[];
  /** R13.6: the payment gateway; 'simulated' in production only when PAYMENTS=simulated says so. */
  payments: 'stripe' | 'simulated';
  /** redis://…: rate limits kept in Redis instead of the database (R13.3). */
  redisUrl: string | undefined;
  /** Attempts per minute per client address on log in and sign up (R13.1). */
  authRateLimit: number;
  /** State reports per minute per device (R13.1). */
  deviceRateLimit: number;
  /** REST API calls per minute per token (R16.3). */
  apiRateLimit: number;
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
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().optional()),
  PAYMENTS: z.preprocess(emptyToUndefined, z.enum(['stripe', 'simulated']).optional()),
  REDIS_URL: z.preprocess(emptyToUndefined, z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional()),
  AUTH_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  DEVICE_RATE_LIMIT: z.coerce.number().int().min(10).default(600),
  API_RATE_LIMIT: z.coerce.number().int().min(10).default(600),
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
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
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
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    payments: choosePayments(e.PAYMENTS, e.STRIPE_SECRET_KEY, isProduction),
    redisUrl: e.REDIS_URL,
    authRateLimit: e.AUTH_RATE_LIMIT,
    deviceRateLimit: e.DEVICE_RATE_LIMIT,
    apiRateLimit: e.API_RATE_LIMIT,
    runScheduler: e.SCHEDULER === 'on',
    logLevel: e.LOG_LEVEL ?? (isProduction ? 'info' : e.NODE_ENV === 'test' ? 'silent' : 'info'),
    seller: {
      name: e.SELLER_NAME,
      address: (e.SELLER_ADDRESS ?? '').split('|').map((l) => l.trim()).filter(Boolean),
      taxId: e.SELLER_TAX_ID,
    },
  };
}

const invalid = (name: string, message: string) => new ConfigError(`Invalid environment:\n  ${name}: ${message}`);

// proxy-addr's names for address ranges, as Fastify's trustProxy accepts them.
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * R13.3: TRUST_PROXY unset trusts no X-Forwarded-* header. A whole number is
 * a hop count (0 is none); otherwise a comma-separated list of addresses,
 * CIDR ranges or proxy-addr's names (loopback, linklocal, uniquelocal).
 * "true" (trust whoever sends the header) is refused: it lets every client
 * choose its own address and so escape every per-address limit.
 */
export function parseTrustProxy(raw: string | undefined): false | number | string[] {
  if (raw === undefined) return false;
  const value = raw.trim();
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 100) throw invalid('TRUST_PROXY', 'a hop count must be between 0 and 100');
    return hops === 0 ? false : hops;
  }
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return false;
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw invalid(
        'TRUST_PROXY',
        `"${entry}" is not an address or CIDR range; give the number of proxies in front of the app (e.g. 1) or their addresses (e.g. 10.0.0.0/8, loopback)`,
      );
    }
  }
  return entries;
}

/**
 * R13.6: Stripe when a key is set; the simulated gateway otherwise, which a
 * production server accepts only when PAYMENTS=simulated says so on purpose
 * (real card numbers typed into it would reach our own server).
 */
function choosePayments(payments: 'stripe' | 'simulated' | undefined, stripeSecretKey: string | undefined, isProduction: boolean): 'stripe' | 'simulated' {
  if (payments === 'stripe' && !stripeSecretKey) throw invalid('PAYMENTS', 'stripe needs STRIPE_SECRET_KEY');
  if (payments === 'simulated' && stripeSecretKey) throw invalid('PAYMENTS', 'simulated, but STRIPE_SECRET_KEY is set: unset one of them');
  const chosen = payments ?? (stripeSecretKey ? 'stripe' : 'simulated');
  if (chosen === 'simulated' && isProduction && payments !== 'simulated') {
    throw invalid(
      'PAYMENTS',
      'production needs STRIPE_SECRET_KEY for real payments; to run it with the simulated gateway (no card is really charged), set PAYMENTS=simulated',
    );
  }
  return chosen;
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

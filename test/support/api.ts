import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import losant, { type LosantClient } from 'losant-rest';
import { expect } from 'vitest';
import { startTestApp, type TestContext } from './app.ts';
import type { TestUser } from './builders.ts';
import type { Config } from '../../src/config.ts';

/**
 * R16: the contract tests drive the API with Losant's own client, unchanged,
 * against the app listening on a loopback port, and check every answer
 * against the client's JSON schema for that action.
 */
export interface ApiTestServer extends TestContext {
  /** http://127.0.0.1:<port>/api */
  apiUrl: string;
  /** A losant-rest client on this server, with a token or without. */
  client(accessToken?: string): LosantClient;
  /** Logs in through POST /api/auth/user and answers the token. */
  tokenFor(user: TestUser): Promise<string>;
}

export async function startApiServer(opts: { config?: Partial<Config> } = {}): Promise<ApiTestServer> {
  const t = await startTestApp(opts);
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const apiUrl = `${address}/api`;
  const client = (accessToken?: string) => losant.createClient({ url: apiUrl, ...(accessToken ? { accessToken } : {}) });
  return Object.assign(t, {
    apiUrl,
    client,
    async tokenFor(user: TestUser) {
      const auth = await client().auth.authenticateUser({ credentials: { email: user.email, password: user.password } });
      return auth.token as string;
    },
  });
}

const require = createRequire(import.meta.url);
const schemaDir = join(dirname(require.resolve('losant-rest/package.json')), 'lib', 'schemas');
// ajv-draft-04 is CommonJS: its class is `default` of the module.
const Ajv04 = (require('ajv-draft-04') as { default: new (opts: object) => Ajv }).default;
// Losant's schemas hold patterns written for non-unicode regular expressions (dashboard.json's `.*{{.+}}.*`).
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
(ajvFormats as unknown as { default: (a: unknown) => void }).default(ajv);
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/** Asserts that `body` is valid against losant-rest's lib/schemas/<name>.json (e.g. `org`, `orgs`, `error`). */
export function expectSchema(name: string, body: unknown): void {
  let validate = validators.get(name);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(schemaDir, `${name}.json`), 'utf8')) as object;
    validate = ajv.compile(schema);
    validators.set(name, validate);
  }
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `response does not match losant-rest schema ${name}`).toEqual([]);
}

/**
 * The refusal a client call ends in: losant-rest throws an Error with the
 * body's `message`, its `type` and the HTTP status as `statusCode`.
 */
export async function refusalOf(call: Promise<unknown>): Promise<{ statusCode: number; type: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { statusCode?: number; type?: string; message: string };
    if (e.statusCode === undefined) throw err;
    expectSchema('error', { type: e.type, message: e.message });
    return { statusCode: e.statusCode, type: e.type!, message: e.message };
  }
  throw new Error('expected the call to be refused');
}

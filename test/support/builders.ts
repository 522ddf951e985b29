import { randomBytes } from 'node:crypto';
import { signUp } from '../../src/modules/accounts/sign-up.ts';
import type { User } from '../../src/modules/accounts/queries.ts';
import type { Agent } from './agent.ts';
import type { TestContext } from './app.ts';

export const DEFAULT_PASSWORD = 'correct horse battery';

let sequence = 0;
const unique = () => `${++sequence}-${randomBytes(3).toString('hex')}`;

export interface TestUser extends User {
  password: string;
}

/** A user who signed up (R1.1); named for the reader of the test. */
export async function newUser(
  t: TestContext,
  opts: { name?: string; email?: string; password?: string } = {},
): Promise<TestUser> {
  const password = opts.password ?? DEFAULT_PASSWORD;
  const result = await signUp(t.deps.db, t.clock, {
    name: opts.name ?? 'Ada Lovelace',
    email: opts.email ?? `user-${unique()}@example.com`,
    password,
  });
  if (!result.ok) throw new Error(`newUser failed: ${result.reason}`);
  return { ...result.user, password };
}

/** An agent already logged in as the user, through the real log-in form. */
export async function signedIn(t: TestContext, user: TestUser): Promise<Agent> {
  const agent = t.agent();
  const res = await agent.post('/login', { email: user.email, password: user.password });
  if (res.statusCode !== 303) throw new Error(`login failed for ${user.email}: ${res.statusCode}`);
  return agent;
}

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../support/source.ts';

/**
 * Every table has one owning module, and only that module's queries name it:
 * its `queries.ts` or the files under its `queries/` (or, for a table kept by
 * one plumbing file, that file). Other modules call the owner's functions;
 * where one statement must read two modules' tables (a page ordered by a
 * member's name, the device API's one-statement key check), the owner hands
 * out a join as a function and the statement is assembled from the pieces.
 * The test reads src/ the way the authorization matrix walks the router: a
 * table named anywhere else fails, in fixed SQL (`FROM t`, `JOIN t`,
 * `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`) or through the statement
 * helpers that take a table's name (`insertRows(db, 't', …)`), and so does a
 * table that a migration creates and nobody owns.
 */

/** Table → the place under src/ that owns it (a module folder, or one plumbing file). */
export const TABLE_OWNERS: Record<string, string> = {
  users: 'modules/accounts/',
  password_resets: 'modules/accounts/',
  email_changes: 'modules/accounts/',
  api_tokens: 'modules/accounts/',
  sessions: 'http/session-store.ts',
  audit_events: 'modules/audit/',
  mail_outbox: 'modules/mail/',
  plans: 'modules/plans/',
  rate_limits: 'modules/rate-limits/database-store.ts',
  billing_accounts: 'modules/owners/',
  organizations: 'modules/tenancy/',
  memberships: 'modules/tenancy/',
  resource_roles: 'modules/tenancy/',
  organization_wizards: 'modules/organizations/',
  enterprise_inquiries: 'modules/organizations/',
  invitations: 'modules/invitations/',
  applications: 'modules/applications/',
  devices: 'modules/applications/',
  workflows: 'modules/applications/',
  access_keys: 'modules/applications/',
  dashboards: 'modules/dashboards/',
  dashboard_blocks: 'modules/dashboards/',
  payloads: 'modules/usage/',
  usage_counters: 'modules/usage/',
  usage_daily: 'modules/usage/',
  billing_status_history: 'modules/billing/',
  plan_changes: 'modules/billing/',
  pending_invoice_lines: 'modules/billing/',
  invoices: 'modules/billing/',
  invoice_lines: 'modules/billing/',
  invoice_usage: 'modules/billing/',
  payment_attempts: 'modules/billing/',
  credit_ledger: 'modules/billing/',
  credit_refunds: 'modules/billing/',
  webhook_events: 'modules/billing/',
  sim_customers: 'modules/billing/gateway/simulated.ts',
  sim_payment_methods: 'modules/billing/gateway/simulated.ts',
  sim_charges: 'modules/billing/gateway/simulated.ts',
  sim_refunds: 'modules/billing/gateway/simulated.ts',
  admin_events: 'modules/admin/',
  clock_offset: 'modules/admin/',
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

/** Code without its comments (a comment may well say "UPDATE users"). */
const withoutComments = (text: string) =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[\s;{}(),])\/\/.*$/gm, '$1');

/** Statement helpers of db/sql.ts whose second argument is a table's name. */
const TABLE_HELPERS = /\b(?:insertRows|insertReturningId|insertSql)\(\s*[\w$.]+\s*,\s*['"`]([a-z_][a-z0-9_]*)['"`]/g;
/** SQL that names a table: the word after FROM, JOIN, INTO, UPDATE, TABLE (SQL keywords are upper case in this codebase). */
const SQL_NAMES = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+"?([a-z_][a-z0-9_]*)"?/g;

/** The tables a piece of code names, each with the line it is named on. */
export function tablesNamedIn(text: string, tables: ReadonlySet<string>): { table: string; line: number }[] {
  const code = withoutComments(text);
  const lineAt = (index: number) => code.slice(0, index).split('\n').length;
  const found: { table: string; line: number }[] = [];
  for (const pattern of [SQL_NAMES, TABLE_HELPERS]) {
    for (const m of code.matchAll(pattern)) {
      const table = m[1]!;
      if (tables.has(table)) found.push({ table, line: lineAt(m.index) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** May the file at `rel` (a path under src/) name a table owned by `owner`? */
export function mayName(rel: string, owner: string): boolean {
  if (!owner.endsWith('/')) return rel === owner;
  return rel === `${owner}queries.ts` || rel.startsWith(`${owner}queries/`);
}

/** Every table the migrations create. */
function migratedTables(): string[] {
  const names = new Set<string>();
  for (const file of tsFiles(join(root, 'migrations'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/createTable\(\s*['"]([a-z_][a-z0-9_]*)['"]/g)) names.add(m[1]!);
    for (const m of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?([a-z_][a-z0-9_]*)"?/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

describe('table ownership (issue 15)', () => {
  const tables = new Set(migratedTables());

  it('gives every table an owner, and names no table that is gone', () => {
    expect([...tables].filter((t) => !TABLE_OWNERS[t]), 'tables without an owner: add them to TABLE_OWNERS').toEqual([]);
    expect(Object.keys(TABLE_OWNERS).filter((t) => !tables.has(t))).toEqual([]);
  });

  it("names each table only in its owner's queries", () => {
    const trespasses: string[] = [];
    for (const file of tsFiles(src)) {
      const rel = relative(src, file);
      for (const n of tablesNamedIn(readFileSync(file, 'utf8'), tables)) {
        const owner = TABLE_OWNERS[n.table]!;
        if (!mayName(rel, owner)) trespasses.push(`${rel}:${n.line} names ${n.table} (owned by ${owner}: call its queries)`);
      }
    }
    expect(trespasses).toEqual([]);
  });

  it('recognises a table named in fixed SQL and through the statement helpers, and not in comments or prose (the check can fail)', () => {
    const t = new Set(['users', 'payloads', 'usage_daily', 'devices', 'invoices', 'resource_roles']);
    const sample = [
      "await db.run('INSERT INTO payloads (device_id) VALUES (?)', [id]);",
      "await db.run(`INSERT INTO usage_daily (day, n) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET n = usage_daily.n + 1`, []);",
      "await db.run('UPDATE devices SET last_seen_at = ? WHERE id = ?', []);",
      "await db.run('DELETE FROM invoices WHERE id = ?', []);",
      "const r = await db.first('SELECT * FROM invoices WHERE id = ? FOR UPDATE', []);",
      "const m = await db.rows(`SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id`, []);",
      "await insertRows(trx, 'resource_roles', [row]);",
      '// UPDATE users SET name = 1',
      "/* DELETE FROM payloads */ row('devices', 'Devices', n, limit);",
      "const message = 'Remove some devices from the application first.';",
    ].join('\n');
    expect(tablesNamedIn(sample, t).map((w) => `${w.table}@${w.line}`)).toEqual([
      'payloads@1',
      'usage_daily@2',
      'devices@3',
      'invoices@4',
      'invoices@5',
      'users@6',
      'resource_roles@7',
    ]);
  });

  it("lets an owner's queries.ts and queries/ files name its tables, and nothing else (the check can fail)", () => {
    expect(mayName('modules/usage/queries.ts', 'modules/usage/')).toBe(true);
    expect(mayName('modules/billing/queries/invoices.ts', 'modules/billing/')).toBe(true);
    expect(mayName('modules/billing/charge.ts', 'modules/billing/')).toBe(false);
    expect(mayName('modules/admin/queries.ts', 'modules/billing/')).toBe(false);
    expect(mayName('http/session-store.ts', 'http/session-store.ts')).toBe(true);
    expect(mayName('http/other.ts', 'http/session-store.ts')).toBe(false);
  });
});

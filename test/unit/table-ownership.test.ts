import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../support/source.ts';

/**
 * Issue 15: every table has one owning module, and only that module writes
 * it; others call the owner's functions. The test reads src/ the way the
 * authorization matrix walks the router: a write to a table outside its owner
 * fails, in fixed SQL (`INSERT INTO t`, `UPDATE t`, `DELETE FROM t`, an
 * upsert's `ON CONFLICT`) or through the knex builder (`db('t')…insert /
 * update / del / increment / onConflict`), and so does a table that a
 * migration creates and nobody owns.
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
  rate_limits: 'modules/rate-limits/',
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
  billing_accounts: 'modules/billing/',
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
  sim_customers: 'modules/billing/gateway/',
  sim_payment_methods: 'modules/billing/gateway/',
  sim_charges: 'modules/billing/gateway/',
  sim_refunds: 'modules/billing/gateway/',
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

const KNEX_WRITES = /\.(insert|update|del|delete|increment|decrement|onConflict|merge|truncate)\s*\(/;

/** The tables a piece of code writes, each with the line it is written on. */
export function writesIn(text: string, tables: ReadonlySet<string>): { table: string; line: number }[] {
  const code = withoutComments(text);
  const lineAt = (index: number) => code.slice(0, index).split('\n').length;
  const found: { table: string; line: number }[] = [];
  // Fixed SQL; ON CONFLICT belongs to the INSERT INTO before it.
  for (const m of code.matchAll(/\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?([a-z_][a-z0-9_]*)"?/gi)) {
    const table = m[1]!.toLowerCase();
    if (tables.has(table)) found.push({ table, line: lineAt(m.index) });
  }
  // The knex builder: db('t'), trx('t as x'), .from('t'), .into('t'), .table('t'), then a write in the same statement.
  for (const m of code.matchAll(/(?:\b[A-Za-z_$][\w$]*(?:<[^<>()]*>)?|\.(?:from|into|table))\(\s*['"`]([a-z_][a-z0-9_]*)(?:\s+as\s+\w+)?['"`]\s*\)/g)) {
    const table = m[1]!;
    if (!tables.has(table)) continue;
    const rest = code.slice(m.index + m[0].length);
    const end = rest.search(/;|\n\s*\n/);
    if (KNEX_WRITES.test(end === -1 ? rest : rest.slice(0, end))) found.push({ table, line: lineAt(m.index) });
  }
  return found;
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

  it('has only the owning module write each table', () => {
    const trespasses: string[] = [];
    for (const file of tsFiles(src)) {
      const rel = relative(src, file);
      for (const w of writesIn(readFileSync(file, 'utf8'), tables)) {
        const owner = TABLE_OWNERS[w.table]!;
        if (!(owner.endsWith('/') ? rel.startsWith(owner) : rel === owner)) trespasses.push(`${rel}:${w.line} writes ${w.table} (owned by ${owner})`);
      }
    }
    expect(trespasses).toEqual([]);
  });

  it('recognises writes in fixed SQL and through the builder, and not reads or comments (the check can fail)', () => {
    const t = new Set(['users', 'payloads', 'usage_daily', 'devices', 'invoices']);
    const sample = [
      "await sql.run('INSERT INTO payloads (device_id) VALUES (?)', [id]);",
      "await sql.run(`INSERT INTO usage_daily (day, n) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET n = usage_daily.n + 1`, []);",
      "await sql.run('UPDATE devices SET last_seen_at = ? WHERE id = ?', []);",
      "await sql.run('DELETE FROM invoices WHERE id = ?', []);",
      "await trx<UserRow>('users').where({ id }).update({ name });",
      "await db('payloads as p')",
      "  .whereIn('p.device_id', ids)",
      '  .del();',
      "await db('devices').insert(rows).onConflict('id').ignore();",
      "const rows = await db('users').where({ id }).first();",
      "const r = await sql.first('SELECT * FROM invoices WHERE id = ? FOR UPDATE', []);",
      '// UPDATE users SET name = 1',
      "/* DELETE FROM payloads */ await db('invoices').where({ id }).select('*');",
    ].join('\n');
    expect(writesIn(sample, t).map((w) => `${w.table}@${w.line}`).sort()).toEqual(
      ['payloads@1', 'usage_daily@2', 'devices@3', 'invoices@4', 'users@5', 'payloads@6', 'devices@9'].sort(),
    );
  });
});

import type { Knex } from 'knex';

// R1.4: sessions signed in before 20261130-1704 carry their user only inside
// the JSON data; copy it to user_id so "Sign out other sessions" reaches them
// too. Read in JavaScript so the same code runs on SQLite and PostgreSQL.
// Irreversible by nature: the down step leaves the column as it is (1704's
// down drops it).
export async function up(knex: Knex): Promise<void> {
  const rows: { sid: string; data: string }[] = await knex('sessions').whereNull('user_id').select('sid', 'data');
  for (const row of rows) {
    let userId: unknown;
    try {
      userId = (JSON.parse(row.data) as { userId?: unknown }).userId;
    } catch {
      continue;
    }
    if (typeof userId === 'number' && Number.isSafeInteger(userId)) await knex('sessions').where({ sid: row.sid }).update({ user_id: userId });
  }
}

export async function down(): Promise<void> {}

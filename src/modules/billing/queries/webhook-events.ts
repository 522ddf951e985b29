import type { Sql } from '../../../db/sql.ts';

/** R9.6, R9.13: Stripe events processed, by id, so each is processed once. */

/** Claims an event by its id; answers false when it was claimed before (a redelivery). */
export async function claimWebhookEvent(db: Sql, event: { id: string; type: string }, at: Date): Promise<boolean> {
  const claimed = await db.rows('INSERT INTO webhook_events (event_id, type, received_at) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING event_id', [
    event.id.slice(0, 255),
    event.type.slice(0, 100),
    at.getTime(),
  ]);
  return claimed.length > 0;
}

/** Forgets a claimed event that was not processed after all, so Stripe's redelivery is. */
export async function forgetWebhookEvent(db: Sql, eventId: string): Promise<void> {
  await db.run('DELETE FROM webhook_events WHERE event_id = ?', [eventId.slice(0, 255)]);
}

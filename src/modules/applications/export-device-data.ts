import type { Sql } from '../../db/sql.ts';
import { csvLine, EXPORT_COLUMNS, type ExportRange } from '../usage/export.ts';
import { payloadPage } from '../usage/queries.ts';
import { deviceNamesOf } from './queries.ts';

/** Payloads read per query: memory stays the same for a thousand rows or a hundred million. */
export const EXPORT_CHUNK_SIZE = 5_000;

/**
 * R14.1: an application's payloads in a range as CSV text, oldest first, a
 * chunk at a time, each named by its device. Pages by (time, id) keyset
 * through the (application_id, time) index, so each query costs the same
 * however deep the export is and no query holds a transaction or the (single
 * SQLite) connection between chunks. Consumed through a stream, it reads the
 * next chunk only when the client has taken the last one. Device names are
 * read once per device (a device added during the export is read when its
 * first payload comes); a payload whose device is gone is left out, as a
 * deleted device's payloads are.
 */
export async function* deviceDataCsv(
  db: Sql,
  applicationId: number,
  range: ExportRange,
  chunkSize = EXPORT_CHUNK_SIZE,
): AsyncGenerator<string, void, undefined> {
  yield csvLine(EXPORT_COLUMNS);
  const names = new Map<number, string | null>();
  let after: { time: number; id: number } | null = null;
  for (;;) {
    const rows = await payloadPage(db, applicationId, range, after, chunkSize);
    if (rows.length === 0) return;
    const unknown = new Set<number>();
    for (const r of rows) if (!names.has(Number(r.device_id))) unknown.add(Number(r.device_id));
    if (unknown.size > 0) {
      const found = await deviceNamesOf(db, [...unknown]);
      for (const id of unknown) names.set(id, found.get(id) ?? null);
    }
    let text = '';
    for (const r of rows) {
      const name = names.get(Number(r.device_id));
      if (name == null) continue;
      text += csvLine([new Date(Number(r.time)).toISOString(), String(r.device_id), name, r.data]);
    }
    if (text) yield text;
    if (rows.length < chunkSize) return;
    const last = rows[rows.length - 1]!;
    after = { time: Number(last.time), id: Number(last.id) };
  }
}

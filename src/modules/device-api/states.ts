import type { DeviceState } from './record-payloads.ts';

/** R8.1: how many states one request may carry. */
export const MAX_STATES_PER_REQUEST = 100;
/** How far ahead of the server clock a state's time may be (device clocks drift; further is a bug). */
export const MAX_FUTURE_MS = 24 * 3_600_000;

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;
const SHAPE = 'Send { "data": { … }, "time": "<ISO-8601, optional>" } or an array of 1 to 100 of them.';

export type ParsedStates = { ok: true; states: DeviceState[] } | { ok: false; message: string };

/**
 * R8.1, R13.2: the body of a state report — one state or an array of 1 to
 * 100 — checked whole, so a request is stored entirely or not at all. Each
 * message names the offending place (`[3].time`).
 */
export function parseStates(body: unknown, now: Date): ParsedStates {
  if (body === undefined || body === null || body === '') return { ok: false, message: `The body is empty. ${SHAPE}` };
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    return { ok: false, message: 'Send the body as JSON, with the header Content-Type: application/json.' };
  }
  const items = Array.isArray(body) ? body : [body];
  if (Array.isArray(body)) {
    if (items.length === 0) return { ok: false, message: `The array is empty. ${SHAPE}` };
    if (items.length > MAX_STATES_PER_REQUEST) {
      return {
        ok: false,
        message: `A request carries at most ${MAX_STATES_PER_REQUEST} states and this one has ${items.length}. Split them over several requests.`,
      };
    }
  }
  const states: DeviceState[] = [];
  const many = Array.isArray(body);
  for (let index = 0; index < items.length; index++) {
    const item: unknown = items[index];
    // Built only for a message: a valid report of 100 states builds none.
    const where = () => (many ? `[${index}]` : 'The body');
    const field = (name: string) => (many ? `[${index}].${name}` : `"${name}"`);
    if (!isPlainObject(item)) return { ok: false, message: `${where()} must be a JSON object. ${SHAPE}` };
    for (const key in item) {
      if (key !== 'data' && key !== 'time') return { ok: false, message: `${where()} has an unexpected field "${key}": a state has only "data" and an optional "time".` };
    }
    if (!isPlainObject(item.data)) return { ok: false, message: `${field('data')} must be a JSON object, like { "temperature": 21.5 }.` };
    let time: Date | null = null;
    if (item.time !== undefined && item.time !== null) {
      const parsed = typeof item.time === 'string' ? parseIsoDateTime(item.time) : null;
      if (!parsed) {
        return { ok: false, message: `${field('time')} must be an ISO-8601 date and time with a time zone, like "2026-03-10T09:00:00Z".` };
      }
      if (parsed.getTime() > now.getTime() + MAX_FUTURE_MS) {
        return { ok: false, message: `${field('time')} is more than 24 hours ahead of the server's clock (${now.toISOString()}). Check the device's clock.` };
      }
      time = parsed;
    }
    states.push({ data: item.data, time });
  }
  return { ok: true, states };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A full ISO-8601 date-time with a zone, on a real calendar day, from 1970 on. */
export function parseIsoDateTime(value: string): Date | null {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return null;
  // Every device report parses up to 100 of these: plain arithmetic, no temporary arrays or Dates.
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  const hour = +m[4]!;
  const minute = +m[5]!;
  const second = m[6] === undefined ? 0 : +m[6];
  const fraction = m[7];
  const millis = fraction === undefined ? 0 : fraction.length >= 3 ? +fraction.slice(0, 3) : +fraction.padEnd(3, '0');
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = +m[10]!;
    const offsetMins = +m[11]!;
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return ms < 0 ? null : new Date(ms);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysIn(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

import type { User } from '../accounts/queries.ts';
import { toApiId } from './ids.ts';

/** Dates on the wire: ISO 8601 in UTC, as Losant's `date-time` fields. */
export const isoDate = (d: Date) => d.toISOString();

/** Losant splits a person's name in two; Orgplane keeps one: the first word, then the rest (absent when there is none). */
export function nameParts(name: string): { firstName?: string; lastName?: string } {
  const trimmed = name.trim();
  const space = trimmed.search(/\s/);
  if (trimmed === '') return {};
  if (space < 0) return { firstName: trimmed };
  return { firstName: trimmed.slice(0, space), lastName: trimmed.slice(space).trim() };
}

/** A user as Losant's `me` schema has them (the fields Orgplane has). */
export function presentMe(user: User) {
  return {
    id: toApiId(user.id),
    userId: toApiId(user.id),
    email: user.email,
    ...nameParts(user.name),
    fullName: user.name,
    creationDate: isoDate(user.createdAt),
    emailVerified: true,
    needsToVerifyEmail: false,
    twoFactorAuthEnabled: false,
  };
}

import type { Sql } from '../../db/sql.ts';
import { lockRow } from '../../db/locks.ts';
import type { Owner } from './owner.ts';

export type { Owner };

/** How an owner is stored on applications, dashboards and counters. */
export type OwnerType = 'user' | 'organization';

export function ownerColumns(owner: Owner): { owner_type: OwnerType; owner_id: number } {
  return owner.kind === 'sandbox' ? { owner_type: 'user', owner_id: owner.userId } : { owner_type: 'organization', owner_id: owner.organizationId };
}

export function ownerFromColumns(row: { owner_type: string; owner_id: number }): Owner {
  return row.owner_type === 'user' ? { kind: 'sandbox', userId: Number(row.owner_id) } : { kind: 'organization', organizationId: Number(row.owner_id) };
}

export const sameOwner = (a: Owner, b: Owner) =>
  a.kind === b.kind && (a.kind === 'sandbox' ? a.userId === (b as typeof a).userId : a.organizationId === (b as typeof a).organizationId);

export const ownerFormValue = (owner: Owner) => (owner.kind === 'sandbox' ? 'sandbox' : `org:${owner.organizationId}`);

/** Serializes changes that count against one owner's limits (PostgreSQL; SQLite has one writer). */
export async function lockOwner(trx: Sql, owner: Owner): Promise<void> {
  if (owner.kind === 'sandbox') await lockRow(trx, 'users', { id: owner.userId });
  else await lockRow(trx, 'organizations', { id: owner.organizationId });
}

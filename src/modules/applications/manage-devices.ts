import type { Clock } from '../../clock.ts';
import type { Sql } from '../../db/sql.ts';
import { checkLimit } from '../resources/limits.ts';
import { countDevicesOf, deleteDeviceRow, insertDevice, renameDeviceRow } from './queries.ts';
import { lockOwner, type Owner } from '../owners/columns.ts';
import { deletePayloadsOfDevice } from '../usage/queries.ts';

export type AddDeviceResult = { ok: true; id: number } | { ok: false; reason: 'limit'; message: string };

/** R5.1, R7.3: a device counts against the owner's device limit. */
export async function addDevice(db: Sql, clock: Clock, input: { owner: Owner; applicationId: number; name: string }): Promise<AddDeviceResult> {
  return db.transaction(async (trx) => {
    await lockOwner(trx, input.owner);
    const limit = await checkLimit(trx, input.owner, 'devices', { inUse: await countDevicesOf(trx, input.owner), adding: 1 });
    if (!limit.ok) return { ok: false, reason: 'limit', message: limit.message } as const;
    const id = await insertDevice(trx, { applicationId: input.applicationId, name: input.name, createdAt: clock.now() });
    return { ok: true, id } as const;
  });
}

export async function renameDevice(db: Sql, applicationId: number, deviceId: number, name: string): Promise<boolean> {
  return renameDeviceRow(db, applicationId, deviceId, name);
}

/** Deleting a device deletes its stored payloads (cascade). */
export async function deleteDevice(db: Sql, applicationId: number, deviceId: number): Promise<boolean> {
  return db.transaction(async (trx) => {
    await deletePayloadsOfDevice(trx, applicationId, deviceId);
    return deleteDeviceRow(trx, applicationId, deviceId);
  });
}

import type { FastifyRequest } from 'fastify';
import type { Sql } from '../../db/sql.ts';
import { currentUser } from '../../http/auth.ts';
import { notFound } from '../../http/errors.ts';
import { parseId } from '../../http/ids.ts';
import { pausedByUnpaid, resourceAccess } from '../resources/access.ts';
import type { OrgAction } from '../tenancy/policy.ts';
import { findApplicationRow } from './queries.ts';

/** Loads an application row by id and checks access for the signed-in user. */
export async function applicationFor(request: FastifyRequest, rawId: string, action: OrgAction) {
  const id = parseId(rawId);
  if (id === null) throw notFound();
  return applicationAccess(request.server.deps.db, currentUser(request).id, id, action);
}

/**
 * The application `id` as user `userId` may reach it for `action` (pages and
 * the REST API): 404 when it does not exist or the user is a stranger, 403
 * without the right, and R9.8's pause for a change to an Unpaid owner's.
 */
export async function applicationAccess(db: Sql, userId: number, id: number, action: OrgAction) {
  const app = await findApplicationRow(db, id);
  if (!app) throw notFound();
  const access = await resourceAccess(db, userId, { type: 'application', ...app }, action);
  // R9.8: an Unpaid organization's applications stop working; exporting data stays possible.
  if (action === 'resources.edit' && access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'applications');
  return { application: app, access };
}


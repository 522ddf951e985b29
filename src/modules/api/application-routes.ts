import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { DAY_MS } from '../../clock.ts';
import { createApplication } from '../applications/create-application.ts';
import { deleteApplication } from '../applications/delete-application.ts';
import { updateApplication } from '../applications/update-application.ts';
import { createAccessKey, renameAccessKey, revokeAccessKey } from '../applications/manage-access-keys.ts';
import { addDevice, deleteDevice, renameDevice } from '../applications/manage-devices.ts';
import { applicationSummariesOf, listAccessKeys, listDevices, listWorkflows, type ApplicationSummary } from '../applications/queries.ts';
import { accessKeySchema, applicationSchema, deviceSchema } from '../applications/schemas.ts';
import type { ApplicationRow } from '../applications/queries.ts';
import { ownerFromColumns } from '../owners/columns.ts';
import { dailyPayloads, statesOfDevice } from '../usage/queries.ts';
import { assertNever } from '../../assert-never.ts';
import { ApiError, apiNotFound, apiValidation } from './errors.ts';
import { apiIdSchema, fromApiId, toApiId } from './ids.ts';
import { listEnvelope, listQuerySchema, type ListQuery } from './list.ts';
import { principalOf } from './principal.ts';
import { isoDate } from './present.ts';
import { presentAccessKey, presentApplication, presentDevice } from './present-resources.ts';
import { presentPayloadCounts } from './present-orgs.ts';
import { apiApplication, creatableOwner, readableOwners, readerSees } from './resource-access.ts';

/** The first problem zod found, naming the field (R16.3: 400 Validation names the field). */
export function zodRefusal(error: z.ZodError, rename: Record<string, string> = {}): ApiError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).map((p) => rename[p] ?? p).join('.');
  return apiValidation(field ? `${field}: ${issue.message}` : issue.message);
}

const success = { success: true } as const;
const optionalOrgId = { type: 'string', pattern: '^([A-Fa-f\\d]{24}|\\d{1,10})?$' } as const;
const appParams = { type: 'object', properties: { applicationId: apiIdSchema }, required: ['applicationId'] } as const;
const deviceParams = { type: 'object', properties: { applicationId: apiIdSchema, deviceId: apiIdSchema }, required: ['applicationId', 'deviceId'] } as const;
const keyParams = { type: 'object', properties: { applicationId: apiIdSchema, applicationKeyId: apiIdSchema }, required: ['applicationId', 'applicationKeyId'] } as const;
const nameSchema = { type: 'string', minLength: 1, maxLength: 255 } as const;

type AppP = { applicationId: string };
type DeviceP = AppP & { deviceId: string };
type KeyP = AppP & { applicationKeyId: string };

const summaryOf = (row: ApplicationRow, devices: number): ApplicationSummary => ({
  id: Number(row.id),
  name: row.name,
  description: row.description,
  owner: ownerFromColumns(row),
  createdAt: new Date(Number(row.created_at)),
  devices,
});

/**
 * R16.1, R5.1: applications, their devices and access keys (Losant's
 * applications, application, devices, device, applicationKeys,
 * applicationKey), over the use cases of the application pages.
 */
export async function applicationApiRoutes(api: FastifyInstance): Promise<void> {
  const { db, clock } = api.deps;

  // ---- applications -------------------------------------------------------
  api.get<{ Querystring: ListQuery & { orgId?: string } }>(
    '/applications',
    {
      config: { action: 'applications.get' },
      schema: {
        tags: ['applications'],
        summary: 'The applications the user can see: Sandbox and organizations, or one owner with orgId (applications.get)',
        querystring: { type: 'object', properties: { ...listQuerySchema, orgId: optionalOrgId } },
      },
    },
    async (request) => {
      const { user } = principalOf(request);
      const items = [];
      for (const reader of await readableOwners(db, user, request.query.orgId)) {
        for (const app of await applicationSummariesOf(db, reader.owner)) {
          if (readerSees(reader, 'application', app.id)) items.push(presentApplication(app, reader.organization));
        }
      }
      return listEnvelope(items, request.query, { fields: ['name', 'id', 'creationDate', 'ownerId', 'lastUpdated'], defaultSort: 'name' });
    },
  );

  api.post<{ Body: { name: string; description?: string; orgId?: string } }>(
    '/applications',
    {
      config: { action: 'applications.post' },
      schema: {
        tags: ['applications'],
        summary: 'Create an application in the Sandbox, or in the organization orgId (applications.post)',
        body: {
          type: 'object',
          properties: { orgId: apiIdSchema, name: nameSchema, description: { type: 'string', maxLength: 32_767 } },
          required: ['name'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { user } = principalOf(request);
      const parsed = applicationSchema.safeParse({ name: request.body.name, description: request.body.description ?? '' });
      if (!parsed.success) throw zodRefusal(parsed.error);
      const { owner, organization } = await creatableOwner(db, user, request.body.orgId, 'applications');
      const result = await createApplication(db, clock, { owner, name: parsed.data.name, description: parsed.data.description, userId: user.id });
      if (!result.ok) {
        switch (result.reason) {
          case 'limit':
            throw new ApiError(409, result.message);
          case 'owner_unpaid':
            throw new ApiError(402, `${organization?.name ?? 'The organization'} is Unpaid, so no applications can be created there until an Administrator updates the payment method.`);
          default:
            return assertNever(result);
        }
      }
      const app: ApplicationSummary = { id: result.id, name: parsed.data.name, description: parsed.data.description, owner, createdAt: clock.now(), devices: 0 };
      return reply.code(201).send(presentApplication(app, organization, { keys: 0, workflows: 0 }));
    },
  );

  async function presentOne(row: ApplicationRow, organization: { name: string } | null) {
    const [devices, keys, workflows] = await Promise.all([listDevices(db, row.id), listAccessKeys(db, row.id), listWorkflows(db, row.id)]);
    return presentApplication(summaryOf(row, devices.length), organization, { keys: keys.filter((k) => !k.revokedAt).length, workflows: workflows.length });
  }

  api.get<{ Params: AppP }>(
    '/applications/:applicationId',
    { config: { action: 'application.get' }, schema: { tags: ['applications'], summary: 'One application (application.get)', params: appParams } },
    async (request) => {
      const { application, access } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      return presentOne(application, access.organization);
    },
  );

  api.patch<{ Params: AppP; Body: { name?: string; description?: string } }>(
    '/applications/:applicationId',
    {
      config: { action: 'application.patch' },
      schema: {
        tags: ['applications'],
        summary: 'Rename or describe an application (application.patch)',
        params: appParams,
        body: { type: 'object', properties: { name: nameSchema, description: { type: 'string', maxLength: 32_767 } }, additionalProperties: false },
      },
    },
    async (request) => {
      const { application, access } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const parsed = applicationSchema.safeParse({ name: request.body.name ?? application.name, description: request.body.description ?? application.description });
      if (!parsed.success) throw zodRefusal(parsed.error);
      await updateApplication(db, application.id, parsed.data);
      return presentOne({ ...application, ...parsed.data }, access.organization);
    },
  );

  api.delete<{ Params: AppP }>(
    '/applications/:applicationId',
    { config: { action: 'application.delete' }, schema: { tags: ['applications'], summary: 'Delete an application with its devices, keys and data (application.delete)', params: appParams } },
    async (request) => {
      const { application, access } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      if (!access.canDelete) throw new ApiError(403, 'Deleting an application needs the Editor role or more.');
      await deleteApplication(db, application.id);
      return success;
    },
  );

  api.get<{ Params: AppP; Querystring: { start?: number; end?: number } }>(
    '/applications/:applicationId/payloadCounts',
    {
      config: { action: 'application.payloadCounts' },
      schema: {
        tags: ['applications'],
        summary: 'Device states received by an application between start and end (ms; default the last 30 days), counted by UTC day (application.payloadCounts)',
        params: appParams,
        querystring: { type: 'object', properties: { start: { type: 'integer', minimum: 0 }, end: { type: 'integer', minimum: 0 } } },
      },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      const end = request.query.end ?? clock.now().getTime();
      const start = request.query.start ?? end - 30 * DAY_MS;
      if (start >= end) throw apiValidation('start must be before end.');
      if (end - start > 400 * DAY_MS) throw apiValidation('start and end may be at most 400 days apart.');
      const days = await dailyPayloads(db, ownerFromColumns(application), { start: new Date(start), end: new Date(end) }, { applicationId: Number(application.id) });
      return presentPayloadCounts(days.reduce((sum, d) => sum + d.payloads, 0));
    },
  );

  // ---- devices ------------------------------------------------------------
  api.get<{ Params: AppP; Querystring: ListQuery }>(
    '/applications/:applicationId/devices',
    {
      config: { action: 'devices.get' },
      schema: { tags: ['devices'], summary: 'The devices of an application (devices.get)', params: appParams, querystring: { type: 'object', properties: listQuerySchema } },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      const items = (await listDevices(db, application.id)).map(presentDevice);
      return { ...listEnvelope(items, request.query, { fields: ['name', 'id', 'creationDate', 'lastUpdated'], defaultSort: 'name' }), applicationId: toApiId(application.id) };
    },
  );

  api.post<{ Params: AppP; Body: { name: string } }>(
    '/applications/:applicationId/devices',
    {
      config: { action: 'devices.post' },
      schema: {
        tags: ['devices'],
        summary: 'Add a device, within the plan’s device limit (devices.post)',
        params: appParams,
        body: { type: 'object', properties: { name: nameSchema }, required: ['name'], additionalProperties: false },
      },
    },
    async (request, reply) => {
      const { application, access } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const parsed = deviceSchema.safeParse(request.body);
      if (!parsed.success) throw zodRefusal(parsed.error);
      const result = await addDevice(db, clock, { owner: access.owner, applicationId: application.id, name: parsed.data.name });
      if (!result.ok) throw new ApiError(409, result.message);
      const device = (await listDevices(db, application.id)).find((d) => d.id === result.id);
      if (!device) throw apiNotFound('Device');
      return reply.code(201).send(presentDevice(device));
    },
  );

  async function deviceOf(applicationId: number, rawId: string) {
    const id = fromApiId(rawId);
    const device = id === null ? undefined : (await listDevices(db, applicationId)).find((d) => d.id === id);
    if (!device) throw apiNotFound('Device');
    return device;
  }

  api.get<{ Params: DeviceP }>(
    '/applications/:applicationId/devices/:deviceId',
    { config: { action: 'device.get' }, schema: { tags: ['devices'], summary: 'One device (device.get)', params: deviceParams } },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      return presentDevice(await deviceOf(application.id, request.params.deviceId));
    },
  );

  api.patch<{ Params: DeviceP; Body: { name?: string } }>(
    '/applications/:applicationId/devices/:deviceId',
    {
      config: { action: 'device.patch' },
      schema: { tags: ['devices'], summary: 'Rename a device (device.patch)', params: deviceParams, body: { type: 'object', properties: { name: nameSchema }, additionalProperties: false } },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const device = await deviceOf(application.id, request.params.deviceId);
      const parsed = deviceSchema.safeParse({ name: request.body.name ?? device.name });
      if (!parsed.success) throw zodRefusal(parsed.error);
      if (!(await renameDevice(db, application.id, device.id, parsed.data.name))) throw apiNotFound('Device');
      return presentDevice({ ...device, name: parsed.data.name });
    },
  );

  api.delete<{ Params: DeviceP }>(
    '/applications/:applicationId/devices/:deviceId',
    { config: { action: 'device.delete' }, schema: { tags: ['devices'], summary: 'Delete a device with the data it sent (device.delete)', params: deviceParams } },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const id = fromApiId(request.params.deviceId);
      if (id === null || !(await deleteDevice(db, application.id, id))) throw apiNotFound('Device');
      return success;
    },
  );

  api.get<{ Params: DeviceP; Querystring: { limit?: number; since?: number; sortDirection?: string } }>(
    '/applications/:applicationId/devices/:deviceId/state',
    {
      config: { action: 'device.getState' },
      schema: {
        tags: ['devices'],
        summary: 'The latest stored states of a device, newest first (device.getState)',
        params: deviceParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            since: { type: 'integer', minimum: 0 },
            sortDirection: { type: 'string', enum: ['asc', 'desc', 'ASC', 'DESC'] },
          },
        },
      },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      const device = await deviceOf(application.id, request.params.deviceId);
      const states = await statesOfDevice(db, application.id, device.id, {
        limit: request.query.limit ?? 1,
        ...(request.query.since === undefined ? {} : { since: request.query.since }),
        direction: request.query.sortDirection?.toLowerCase() === 'asc' ? 'asc' : 'desc',
      });
      return states.map((s) => ({ time: isoDate(s.time), data: s.data }));
    },
  );

  // ---- access keys --------------------------------------------------------
  api.get<{ Params: AppP; Querystring: ListQuery }>(
    '/applications/:applicationId/keys',
    {
      config: { action: 'applicationKeys.get' },
      schema: { tags: ['applicationKeys'], summary: 'The access keys of an application, active and revoked (applicationKeys.get)', params: appParams, querystring: { type: 'object', properties: listQuerySchema } },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      const items = (await listAccessKeys(db, application.id)).map((k) => presentAccessKey(k, application.id));
      return { ...listEnvelope(items, request.query, { fields: ['key', 'status', 'description', 'creationDate', 'id', 'lastUpdated'], defaultSort: 'creationDate' }), applicationId: toApiId(application.id) };
    },
  );

  api.post<{ Params: AppP; Body: { description: string } }>(
    '/applications/:applicationId/keys',
    {
      config: { action: 'applicationKeys.post' },
      schema: {
        tags: ['applicationKeys'],
        summary: 'Create an access key; its secret is in this answer only (applicationKeys.post)',
        params: appParams,
        body: { type: 'object', properties: { description: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['description'], additionalProperties: false },
      },
    },
    async (request, reply) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const parsed = accessKeySchema.safeParse({ name: request.body.description });
      if (!parsed.success) throw zodRefusal(parsed.error, { name: 'description' });
      const created = await createAccessKey(db, clock, application.id, parsed.data.name);
      const key = (await listAccessKeys(db, application.id)).find((k) => k.keyId === created.keyId);
      if (!key) throw apiNotFound('Access key');
      reply.header('Cache-Control', 'no-store');
      return reply.code(201).send({ ...presentAccessKey(key, application.id), secret: created.secret });
    },
  );

  async function keyOf(applicationId: number, rawId: string) {
    const id = fromApiId(rawId);
    const key = id === null ? undefined : (await listAccessKeys(db, applicationId)).find((k) => k.id === id);
    if (!key) throw apiNotFound('Access key');
    return key;
  }

  api.get<{ Params: KeyP }>(
    '/applications/:applicationId/keys/:applicationKeyId',
    { config: { action: 'applicationKey.get' }, schema: { tags: ['applicationKeys'], summary: 'One access key, without its secret (applicationKey.get)', params: keyParams } },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.view');
      return presentAccessKey(await keyOf(application.id, request.params.applicationKeyId), application.id);
    },
  );

  api.patch<{ Params: KeyP; Body: { description?: string; status?: 'active' | 'inactive' } }>(
    '/applications/:applicationId/keys/:applicationKeyId',
    {
      config: { action: 'applicationKey.patch' },
      schema: {
        tags: ['applicationKeys'],
        summary: 'Rename an access key, or revoke it with status inactive (applicationKey.patch)',
        params: keyParams,
        body: {
          type: 'object',
          properties: { description: { type: 'string', minLength: 1, maxLength: 100 }, status: { type: 'string', enum: ['active', 'inactive'] } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const key = await keyOf(application.id, request.params.applicationKeyId);
      let name = key.name;
      if (request.body.description !== undefined) {
        const parsed = accessKeySchema.safeParse({ name: request.body.description });
        if (!parsed.success) throw zodRefusal(parsed.error, { name: 'description' });
        name = parsed.data.name;
      }
      // R5.1: a revoked key cannot be restored; devices need a new key.
      if (request.body.status === 'active' && key.revokedAt) throw apiValidation('status: a revoked (inactive) access key cannot be made active again. Create a new key.');
      if (name !== key.name) await renameAccessKey(db, application.id, key.id, name);
      if (request.body.status === 'inactive' && !key.revokedAt) await revokeAccessKey(db, clock, application.id, key.id);
      return presentAccessKey(await keyOf(application.id, request.params.applicationKeyId), application.id);
    },
  );

  api.delete<{ Params: KeyP }>(
    '/applications/:applicationId/keys/:applicationKeyId',
    {
      config: { action: 'applicationKey.delete' },
      schema: { tags: ['applicationKeys'], summary: 'Revoke an access key: devices using it are refused from now on; it stays listed as inactive (applicationKey.delete)', params: keyParams },
    },
    async (request) => {
      const { application } = await apiApplication(db, principalOf(request).user, request.params.applicationId, 'resources.edit');
      const key = await keyOf(application.id, request.params.applicationKeyId);
      if (!key.revokedAt) await revokeAccessKey(db, clock, application.id, key.id);
      return success;
    },
  );
}

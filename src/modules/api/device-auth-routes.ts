import type { FastifyInstance } from 'fastify';
import { REVOKED_KEY_MESSAGE, touchAccessKey, verifyAccessKey } from '../device-api/access-keys.ts';
import { DEVICE_TOKEN_DEFAULT_TTL_MS, DEVICE_TOKEN_MAX_TTL_MS, issueDeviceToken } from '../device-api/device-tokens.ts';
import { ApiError, apiValidation } from './errors.ts';
import { apiIdSchema, fromApiId, toApiId } from './ids.ts';
import { assertNever } from '../../assert-never.ts';

interface DeviceCredentials {
  deviceId: string;
  key: string;
  secret: string;
  tokenTTL?: number;
  requestedScopes?: string[];
}

/** What a device token can do: report state (the device API, R8.1). */
const DEVICE_TOKEN_SCOPES = new Set(['all.Device', 'device.sendState']);

/**
 * R8.1, R16.2: POST /api/auth/device (Losant's auth.authenticateDevice): a
 * device trades its application's access key and secret for a device token
 * (device-api/device-tokens.ts), which the device API takes in place of
 * `key:secret` for that device only, until it expires or the key is revoked.
 */
export async function deviceAuthRoutes(api: FastifyInstance): Promise<void> {
  const { db, clock, config } = api.deps;

  api.post<{ Body: DeviceCredentials }>(
    '/auth/device',
    {
      schema: {
        tags: ['auth'],
        summary: 'A device token for a device, from its application’s access key and secret (auth.authenticateDevice)',
        body: {
          type: 'object',
          properties: {
            deviceId: apiIdSchema,
            key: { type: 'string', minLength: 1, maxLength: 32 },
            secret: { type: 'string', minLength: 1, maxLength: 256 },
            tokenTTL: { type: 'integer', minimum: 0 },
            requestedScopes: { type: 'array', uniqueItems: true, items: { type: 'string', maxLength: 128 } },
          },
          required: ['deviceId', 'key', 'secret'],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const unsupported = body.requestedScopes?.find((s) => !DEVICE_TOKEN_SCOPES.has(s));
      if (unsupported) throw apiValidation(`requestedScopes: a device token can only report state (all.Device or device.sendState), not ${unsupported}.`);
      // tokenTTL is in seconds, as Losant's; 0 or absent means the default.
      const ttlMs = body.tokenTTL ? body.tokenTTL * 1000 : DEVICE_TOKEN_DEFAULT_TTL_MS;
      if (ttlMs > DEVICE_TOKEN_MAX_TTL_MS) throw apiValidation(`tokenTTL: at most ${DEVICE_TOKEN_MAX_TTL_MS / 1000} seconds (365 days).`);
      const deviceId = fromApiId(body.deviceId);
      const check = await verifyAccessKey(db, body.key, body.secret, deviceId);
      const refuse = (message: string) => {
        reply.header('WWW-Authenticate', 'Bearer realm="device API"');
        return new ApiError(401, message);
      };
      if (!check.ok) {
        switch (check.reason) {
          case 'revoked_key':
            throw refuse(REVOKED_KEY_MESSAGE);
          case 'unknown_key':
            throw refuse('The access key and secret do not match.');
          default:
            return assertNever(check.reason);
        }
      }
      if (!check.key.device) throw refuse('This access key’s application has no such device.');
      const now = clock.now();
      await touchAccessKey(db, check.key, now);
      const token = issueDeviceToken(config.sessionSecret, { keyRowId: check.key.id, deviceId: check.key.device.id, expiresAt: new Date(now.getTime() + ttlMs) });
      reply.header('Cache-Control', 'no-store');
      return {
        applicationId: toApiId(check.key.applicationId),
        deviceId: toApiId(check.key.device.id),
        deviceClass: 'standalone',
        token,
        ownerType: check.key.application.owner_type === 'user' ? 'user' : 'organization',
        filterType: 'none',
      };
    },
  );
}

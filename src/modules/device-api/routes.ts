import { parseWireId } from '../../http/ids.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, badRequest } from '../../http/errors.ts';
import type { CountedApplication } from '../usage/queries.ts';
import { retryAfterSeconds } from '../rate-limits/gcra.ts';
import { rateLimitRules } from '../rate-limits/rules.ts';
import { recordPayloads, recordRejected, type RecordPayloadsResult } from './record-payloads.ts';
import { parseBearer, REVOKED_KEY_MESSAGE, touchAccessKey, verifyAccessKey, type KeyCheck } from './access-keys.ts';
import { applicationExists } from '../applications/queries.ts';
import { looksLikeDeviceToken, verifyDeviceToken } from './device-tokens.ts';
import { parseStates } from './states.ts';
import { assertNever } from '../../assert-never.ts';
import type { OwnerTerms } from '../owners/owner-period.ts';

/** The 401 for a key that does not let a device in, by the key check's reason (a device token's key answers the same). */
const KEY_REFUSED: Record<Extract<KeyCheck, { ok: false }>['reason'], string> = {
  revoked_key: REVOKED_KEY_MESSAGE,
  unknown_key: 'This access key is not valid.',
};

/** R8.1: the largest body a state report may have. */
export const MAX_BODY_BYTES = 256 * 1024;

type Params = { appId: string; deviceId: string };
type Target = { application: CountedApplication; deviceId: number | null; ownerTerms: OwnerTerms };


/**
 * R8.1: the device API. Devices report state with an application's access
 * key; each state is one payload. The key is checked before the body is read
 * (preParsing), so a bad key never costs a 256 KiB upload, and every refusal
 * from a known application afterwards — bad body, too large, over the cap,
 * Unpaid, unknown device, too many reports — counts as rejected (R8.2).
 *
 * R13.3: reports per device go through the shared rate limiter, after the
 * key is checked (a request without the key cannot use up a device's
 * allowance). With the database store the hit is one statement inside the
 * report's own transaction: no extra commit on the hot path.
 */
export async function deviceApiRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock, limiter, config } = app.deps;
  const rule = rateLimitRules(config).deviceReports;
  // What preParsing learned about a request, for the handler and for counting refusals.
  const targets = new WeakMap<FastifyRequest, Target>();

  app.post<{ Params: Params }>(
    '/applications/:appId/devices/:deviceId/state',
    {
      bodyLimit: MAX_BODY_BYTES,
      // The states are JSON data, stored as JSON: the text boundary of R13.5 leaves them alone.
      config: { opaqueBody: true },

      preParsing: async (request, reply, payload) => {
        const { appId, deviceId } = request.params;
        const unauthorized = (message: string) => {
          reply.header('WWW-Authenticate', 'Bearer realm="device API"');
          return new HttpError(401, message, 'Not signed in');
        };
        const credentials = parseBearer(request.headers.authorization);
        // The key, its application, the named device and the owner's billing terms, in one
        // read; or a device token
        // from POST /api/auth/device, checked against its key the same way (R16.2).
        let check: KeyCheck;
        if (credentials) {
          check = await verifyAccessKey(db, credentials.keyId, credentials.secret, parseWireId(deviceId));
        } else {
          const token = /^Bearer[ ]+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '')?.[1];
          if (!token || !looksLikeDeviceToken(token)) throw unauthorized('Send an access key of the application: "Authorization: Bearer <key id>:<secret>", or a device token from POST /api/auth/device.');
          const byToken = await verifyDeviceToken(db, config.sessionSecret, token, parseWireId(deviceId), clock.now());
          if (!byToken.ok) {
            switch (byToken.reason) {
              case 'expired':
                throw unauthorized('This device token has expired. Get a new one from POST /api/auth/device.');
              case 'other_device':
                throw unauthorized('This device token belongs to another device.');
              case 'revoked_key':
                throw unauthorized(KEY_REFUSED.revoked_key);
              case 'invalid':
                throw unauthorized(KEY_REFUSED.unknown_key);
              default:
                assertNever(byToken.reason);
            }
          }
          check = byToken;
        }
        if (!check.ok) throw unauthorized(KEY_REFUSED[check.reason]);
        const { key } = check;
        const applicationId = parseWireId(appId);
        if (applicationId !== key.applicationId) {
          if (applicationId === null || !(await applicationExists(db, applicationId))) throw new HttpError(404, `There is no application ${appId}.`);
          throw unauthorized('This access key belongs to another application.');
        }
        const target: Target = { application: key.application, deviceId: null, ownerTerms: key.ownerTerms };
        targets.set(request, target);
        await touchAccessKey(db, key, clock.now());
        const device = key.device;
        if (!device) throw new HttpError(404, `Application ${appId} has no device ${deviceId}.`);
        target.deviceId = device.id;
        return payload;
      },

      // Refusals of a known application count as rejected; the app's error handler then answers { error }.
      errorHandler: async (error: FastifyError, request: FastifyRequest, _reply: FastifyReply) => {
        const refusal = asDeviceApiError(error);
        const target = targets.get(request);
        if (target && refusal.statusCode !== 401 && refusal.statusCode < 500) {
          try {
            await recordRejected(db, target.application, clock.now());
          } catch (err) {
            request.log.error({ err }, 'could not count a rejected device request');
          }
        }
        throw refusal;
      },
    },

    async (request, reply) => {
      const target = targets.get(request);
      if (!target || target.deviceId === null) throw new Error('device API handler reached without a device');
      const now = clock.now();
      const parsed = parseStates(request.body, now);
      if (!parsed.ok) throw badRequest(parsed.message);
      const deviceId = target.deviceId;
      const result = await recordPayloads(db, { application: target.application, deviceId, ownerTerms: target.ownerTerms }, parsed.states, now, {
        rateLimit: { limiter, rule, subject: String(deviceId) },
      });
      if (!result.ok) throw refusalOf(result, reply, now, rule);
      // R16.1: Losant's `success` body, with how many states were stored.
      return reply.code(202).send({ success: true, accepted: result.accepted });
    },
  );
}

type Refusal = Exclude<RecordPayloadsResult, { ok: true }>;

function refusalOf(result: Refusal, reply: FastifyReply, now: Date, rule: { limit: number; burst: number }): HttpError {
  switch (result.reason) {
    case 'rate_limited': {
      const seconds = retryAfterSeconds(result.retryAfterMs);
      reply.header('Retry-After', String(seconds));
      return new HttpError(
        429,
        `Too many requests for this device: ${rule.limit} a minute (bursts of ${rule.burst}). Nothing was stored. ` +
          `Try again in ${seconds} second${seconds === 1 ? '' : 's'}, or send up to 100 states per request.`,
      );
    }
    case 'owner_unpaid':
      return new HttpError(
        402,
        'The organization that owns this application is Unpaid, so it takes no device data. An Administrator can pay the open invoices by updating the payment method.',
      );
    case 'monthly_payloads_cap': {
      reply.header('Retry-After', String(Math.max(1, Math.ceil((result.periodEnd.getTime() - now.getTime()) / 1000))));
      const who = result.owner.kind === 'sandbox' ? `The Sandbox allows` : `The ${result.planName} plan allows`;
      const limit = result.limit.toLocaleString('en-US');
      return new HttpError(
        429,
        `Monthly payload limit reached: ${who} ${limit} payloads a month (${result.planName} limit), ` +
          `${result.used.toLocaleString('en-US')} were accepted this period and this request has ${result.requested}. ` +
          `Nothing was stored. The count starts again on ${result.periodEnd.toISOString()}.`,
      );
    }
    default:
      return assertNever(result);
  }
}

/** Fastify's own refusals of a body, in words a device developer can act on. */
function asDeviceApiError(error: FastifyError): Error & { statusCode: number } {
  if (error instanceof HttpError) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, `The body is larger than 256 KiB (${MAX_BODY_BYTES.toLocaleString('en-US')} bytes). Send fewer states per request.`);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return badRequest('The body is not valid JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('The body is empty. Send { "data": { … } } or an array of 1 to 100 of them.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return badRequest('Send the body as JSON, with the header Content-Type: application/json.');
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  return Object.assign(error, { statusCode: status });
}

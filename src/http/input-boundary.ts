import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

/**
 * R13.5: the one boundary every text input crosses. A form field, query
 * parameter or path parameter holding a control character — anything below
 * U+0020 but tab and newline, DEL, or U+0080–U+009F — is refused with a 400
 * before any handler sees it, on SQLite and PostgreSQL alike (PostgreSQL
 * cannot store NUL at all; SQLite would). A carriage return is accepted only
 * as part of CRLF: browsers send a textarea's line breaks as CRLF (HTML's
 * form submission normalises them so), and a form must work without
 * JavaScript.
 *
 * A route whose body is data rather than text (the device API's JSON
 * states, stored as JSON) says so with `config: { opaqueBody: true }`; its
 * path and query are still checked.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\r(?!\n)/;

/** Where a control character was found ('body.name', 'query.q', …), or null. */
export function findControlCharacter(value: unknown, where: string, depth = 0): string | null {
  if (typeof value === 'string') return CONTROL.test(value) ? where : null;
  if (value === null || typeof value !== 'object' || depth > MAX_JSON_DEPTH) return null;
  if (Buffer.isBuffer(value)) return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findControlCharacter(item, where, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (CONTROL.test(key)) return where;
    const found = findControlCharacter(item, `${where}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is data, not text: the control-character boundary leaves it alone (R13.5). */
    opaqueBody?: boolean;
  }
}

export const controlCharacterRefusal = () =>
  new HttpError(
    400,
    'Part of what was sent contains a control character (such as a NUL byte or a lone carriage return), which no text here may hold. Remove it and try again.',
    'That text cannot be used',
  );

/** Installs the boundary as a preHandler of every route (after the CSRF check and the signed-in user). */
export function installInputBoundary(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, the device API's included.
  app.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    if (
      findControlCharacter(request.params, 'params') ||
      findControlCharacter(request.query, 'query') ||
      (request.body !== undefined && !request.routeOptions.config?.opaqueBody && findControlCharacter(request.body, 'body'))
    ) {
      done(controlCharacterRefusal());
      return;
    }
    done();
  });
}

/** R13.5: how deep a JSON body may nest. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text nests deeper than `max` arrays and objects, read before
 * it is parsed: one pass over the characters, skipping strings. (Deeply
 * nested states used to be accepted, then overflow the stack when encoded.)
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 92 /* \ */) i++;
        else if (s === 34) break;
      }
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

/** The JSON body parser of every route: Fastify's own (which refuses __proto__ tricks), behind the depth limit. */
export function installJsonDepthLimit(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new HttpError(400, `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`, 'Something is wrong with that request'), undefined);
      return;
    }
    parse(request, text, done);
  });
}

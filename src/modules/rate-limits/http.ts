import { isIP, isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../http/errors.ts';
import { retryAfterSeconds } from './gcra.ts';

/**
 * The client's address (R13.3): `request.ip`, which honours X-Forwarded-For
 * only from the proxies TRUST_PROXY names. Fastify takes the address the
 * header names as it is written, so a header that names no address (garbage,
 * or thousands of characters) counts as absent: the address is then the
 * socket's, i.e. the proxy's, and a client gains nothing by writing one.
 */
export function clientAddress(request: FastifyRequest): string {
  const ip = request.ip;
  if (typeof ip === 'string' && ip.length <= 64 && isIP(ip) !== 0) return ip;
  return request.socket?.remoteAddress ?? 'unknown';
}

/**
 * The client a per-address limit counts (R13.3): its address (clientAddress).
 * An IPv6 client is counted by its /64 network, since one subscriber is
 * usually given a whole /64 and could otherwise take a fresh address for
 * every attempt.
 */
export function clientSubject(request: FastifyRequest): string {
  const ip = clientAddress(request);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  return ipv6Network64(ip);
}

/** The first four groups of an IPv6 address, written out in full (`2001:db8:0:0::/64`). */
export function ipv6Network64(ip: string): string {
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (g || '0').toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** "20 seconds", "about a minute", "14 minutes": how long to wait, for a person. */
export function waitInWords(ms: number): string {
  const seconds = retryAfterSeconds(ms);
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'about a minute' : `${minutes} minutes`;
}

/** Sets Retry-After for a refused hit (R13.3). */
export function setRetryAfter(reply: FastifyReply, retryAfterMs: number): void {
  reply.header('Retry-After', String(retryAfterSeconds(retryAfterMs)));
}

/** 429 with Retry-After and a message that says how long to wait. */
export function tooManyRequests(reply: FastifyReply, retryAfterMs: number, message: string): HttpError {
  setRetryAfter(reply, retryAfterMs);
  return new HttpError(429, message, 'Too many attempts');
}

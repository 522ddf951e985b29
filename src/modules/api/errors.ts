import { HttpError } from '../../http/errors.ts';

/**
 * R16.1: API errors are `{ "type", "message" }` as in Losant's error schema,
 * with the status telling what kind: each status has one type name.
 */
export const ERROR_TYPES: Record<number, string> = {
  400: 'Validation',
  401: 'Unauthorized',
  402: 'PaymentRequired',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Validation',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export const errorType = (status: number) => ERROR_TYPES[status] ?? (status >= 500 ? 'InternalError' : 'Validation');

/** An API refusal: its message is safe to show and says what to do. */
export class ApiError extends HttpError {
  constructor(statusCode: number, message: string) {
    super(statusCode, message);
  }
}

export const apiNotFound = (what: string) => new ApiError(404, `${what} was not found.`);
export const apiForbidden = (message = 'Your role does not allow this.') => new ApiError(403, message);
export const apiValidation = (message: string) => new ApiError(400, message);

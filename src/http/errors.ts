/** An error whose message is safe to show: every 4xx the program raises on purpose. */
export class HttpError extends Error {
  constructor(
    public readonly statusCode: number,
    message: string,
    public readonly title?: string,
  ) {
    super(message);
  }
}

export const notFound = (message = 'We could not find that page. It may have moved, or you may not have access to it.') =>
  new HttpError(404, message, 'Page not found');
export const forbidden = (message = 'Your role in this organization does not allow this.') =>
  new HttpError(403, message, 'Not allowed');
export const badRequest = (message: string) => new HttpError(400, message, 'Something is wrong with that request');

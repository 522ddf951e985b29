import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderPage } from './render.ts';

/**
 * A destructive action asked first on a page of its own: the question, what
 * happens, and a real form that posts the action — the same with JavaScript
 * on (htmx loads it like any page) or off. The action's GET address shows
 * this page, so the link that leads to it is the action's own address.
 */
export interface Confirmation {
  /** "Revoke the invitation of ada@example.com?" */
  question: string;
  /** What happens, one paragraph each. */
  consequences: string[];
  /** Where the form posts. */
  action: string;
  /** The button that does it: "Revoke invitation". */
  button: string;
  cancelHref: string;
  /** Most confirmations are for something that cannot be undone. */
  danger?: boolean;
}

/** Renders the confirmation page; `chrome` is the page's frame (an organization's header, a Past Due bar). */
export function renderConfirmation(
  request: FastifyRequest,
  reply: FastifyReply,
  confirmation: Confirmation,
  chrome: Record<string, unknown> = {},
): Promise<FastifyReply> {
  return renderPage(request, reply, 'pages/confirm.eta', { ...chrome, confirm: { danger: true, ...confirmation } }, { title: `${confirmation.question} · Orgplane` });
}

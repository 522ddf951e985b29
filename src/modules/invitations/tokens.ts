import { hashLinkToken, looksLikeLinkToken, newLinkToken } from '../../tokens.ts';
import { DAY_MS } from '../../clock.ts';

/** R4.1: the invitation link's token (src/tokens.ts): random, only its hash stored. */
export const newInvitationToken = newLinkToken;
export const hashInvitationToken = hashLinkToken;
export const looksLikeToken = looksLikeLinkToken;

export const INVITATION_TTL_MS = 7 * DAY_MS;

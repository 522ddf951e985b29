import type { User } from '../modules/accounts/queries.ts';
import type { Deps } from '../deps.ts';

export interface HeaderOrganization {
  slug: string;
  name: string;
  initials: string;
  color: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps;
    routeList: readonly { method: string; url: string }[];
    /** The organizations the header dropdown lists for a user (R1.3). */
    headerOrganizations: (userId: number) => Promise<HeaderOrganization[]>;
  }
  interface FastifyRequest {
    user: User | null;
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject {
    userId?: number;
    /** The CSRF secret of this session (R13.4); @fastify/csrf-protection keeps it here. */
    _csrf?: string;
    /** When this session logged in (application clock, ms) and from which browser: the account page lists them (R1.4). */
    signedInAt?: number;
    userAgent?: string;
    /** The user's credentials mark when this session signed in or last changed them: another mark means signed out (R1.4, users.credentials_changed_at). */
    credentialsChangedAt?: number | null;
  }
}

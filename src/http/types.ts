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
    /** An owner's dashboards for the Sandbox and overview pages (the dashboards module provides it). */
    listDashboards: (owner: import('../modules/resources/owners.ts').Owner) => Promise<{ id: number; name: string; visibility: string }[]>;
  }
  interface FastifyRequest {
    user: User | null;
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject {
    userId?: number;
  }
}

import type { Role } from '../tenancy/policy.ts';

/**
 * R16.1: role names on the wire are Losant's. Orgplane's five roles (R2.1)
 * map one to one.
 */
export const API_ROLE: Record<Role, ApiRole> = {
  administrator: 'admin',
  editor: 'edit',
  collaborator: 'collaborate',
  viewer: 'view',
  none: 'none',
};
export type ApiRole = 'admin' | 'edit' | 'collaborate' | 'view' | 'none';
export const API_ROLES: readonly ApiRole[] = ['admin', 'edit', 'collaborate', 'view', 'none'];

const FROM_API: Record<ApiRole, Role> = { admin: 'administrator', edit: 'editor', collaborate: 'collaborator', view: 'viewer', none: 'none' };

/** Orgplane's role of a wire role name (schema-checked against API_ROLES before). */
export const roleFromApi = (role: ApiRole): Role => FROM_API[role];

/** JSON schema of a role on the wire. */
export const apiRoleSchema = { type: 'string', enum: API_ROLES } as const;

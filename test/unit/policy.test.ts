import { describe, expect, it } from 'vitest';
import { can, ROLES, type OrgAction, type Role } from '../../src/modules/tenancy/policy.ts';

// R2.1: each role includes the rights of the ones before it. One row per action.
const expected: Record<OrgAction, Role[]> = {
  'organization.leave': ['none', 'viewer', 'collaborator', 'editor', 'administrator'],
  'organization.view': ['viewer', 'collaborator', 'editor', 'administrator'],
  'members.view': ['viewer', 'collaborator', 'editor', 'administrator'],
  'resources.view': ['viewer', 'collaborator', 'editor', 'administrator'],
  'resources.edit': ['collaborator', 'editor', 'administrator'],
  'resources.create': ['editor', 'administrator'],
  'resources.delete': ['editor', 'administrator'],
  'settings.manage': ['administrator'],
  'members.manage': ['administrator'],
  'billing.manage': ['administrator'],
  'organization.delete': ['administrator'],
};

describe('can(actor, action) (R2.1, R2.5)', () => {
  for (const [action, allowed] of Object.entries(expected) as [OrgAction, Role[]][]) {
    for (const role of ROLES) {
      it(`${role} ${allowed.includes(role) ? 'may' : 'may not'} ${action}`, () => {
        expect(can(role, action)).toBe(allowed.includes(role));
      });
    }
    it(`a non-member may not ${action}`, () => {
      expect(can(null, action)).toBe(false);
    });
  }
});

describe('per-resource overrides (R2.2)', () => {
  const app12 = { type: 'application' as const, id: 12 };
  const app13 = { type: 'application' as const, id: 13 };

  it('an Editor whose override on one resource is Collaborator or less cannot delete that one (R2.1, R2.2)', () => {
    const actor = { role: 'editor' as const, resourceRoles: new Map([['application:12', 'collaborator' as const]]) };
    expect(can(actor, 'resources.delete', app12)).toBe(false);
    expect(can(actor, 'resources.delete', app13)).toBe(true);
  });

  it('a Viewer made Collaborator on one application edits that one only', () => {
    const actor = { role: 'viewer' as const, resourceRoles: new Map([['application:12', 'collaborator' as const]]) };
    expect(can(actor, 'resources.edit', app12)).toBe(true);
    expect(can(actor, 'resources.edit', app13)).toBe(false);
  });

  it('an Editor given None on a dashboard cannot see it, but still sees others', () => {
    const actor = { role: 'editor' as const, resourceRoles: new Map([['dashboard:5', 'none' as const]]) };
    expect(can(actor, 'resources.view', { type: 'dashboard', id: 5 })).toBe(false);
    expect(can(actor, 'resources.view', { type: 'dashboard', id: 6 })).toBe(true);
  });

  it('an override never reaches organization-wide actions', () => {
    const actor = { role: 'none' as const, resourceRoles: new Map([['application:12', 'collaborator' as const]]) };
    expect(can(actor, 'resources.create', app12)).toBe(false);
    expect(can(actor, 'organization.view')).toBe(false);
    expect(can(actor, 'resources.view', app12)).toBe(true);
  });

  it('a non-member gets nothing from an override', () => {
    expect(can({ role: null, resourceRoles: new Map([['application:12', 'collaborator']]) }, 'resources.view', app12)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { scopesAllow } from '../../src/modules/api/scopes.ts';
import { scopeWithin } from '../../src/modules/api/tokens-routes.ts';

// R16.2: what a token's scopes allow, with Losant's names.
describe('API token scopes (R16.2)', () => {
  it('all.User is everything the user may do; all.User.read everything they may read', () => {
    for (const action of ['me.get', 'orgs.post', 'org.patch', 'org.inviteMember', 'application.delete', 'device.sendState', 'dashboards.post']) {
      expect(scopesAllow(['all.User'], action), action).toBe(true);
    }
    expect(scopesAllow(['all.User.read'], 'org.get')).toBe(true);
    expect(scopesAllow(['all.User.read'], 'device.getState')).toBe(true);
    expect(scopesAllow(['all.User.read'], 'org.patch')).toBe(false);
    expect(scopesAllow(['all.User.read'], 'orgs.post')).toBe(false);
  });

  it('the other groups are parts: all.Organization does not reach the account or applications', () => {
    expect(scopesAllow(['all.Organization'], 'org.patch')).toBe(true);
    expect(scopesAllow(['all.Organization'], 'me.get')).toBe(false);
    expect(scopesAllow(['all.Organization'], 'application.patch')).toBe(false);
    expect(scopesAllow(['all.Application.read'], 'device.get')).toBe(true);
    expect(scopesAllow(['all.Application.read'], 'device.patch')).toBe(false);
    expect(scopesAllow(['org.*'], 'org.removeMember')).toBe(true);
    expect(scopesAllow(['org.get'], 'org.patch')).toBe(false);
  });

  it('a token never gives a new token more than it holds', () => {
    expect(scopeWithin(['all.User'], 'all.Organization')).toBe(true);
    expect(scopeWithin(['all.User.read'], 'all.Organization.read')).toBe(true);
    expect(scopeWithin(['all.User.read'], 'all.Organization')).toBe(false);
    expect(scopeWithin(['all.Organization'], 'all.User')).toBe(false);
    expect(scopeWithin(['userApiTokens.post'], 'all.Organization')).toBe(false);
    expect(scopeWithin(['all.User'], 'org.patch')).toBe(true);
  });
});

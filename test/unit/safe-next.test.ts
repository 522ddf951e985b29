import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeNext } from '../../src/http/forms.ts';
import { OPEN_REDIRECT_BYPASSES } from '../support/open-redirects.ts';


describe('safeNext (R13.4, attack b)', () => {
  it.each(OPEN_REDIRECT_BYPASSES.map((v) => [JSON.stringify(v), v]))('refuses %s', (_label, value) => {
    expect(safeNext(value)).toBeUndefined();
  });

  it('keeps paths of this site, query and fragment included', () => {
    expect(safeNext('/sandbox')).toBe('/sandbox');
    expect(safeNext('/invites/abcDEF_-123')).toBe('/invites/abcDEF_-123');
    expect(safeNext('/orgs/acme?tab=members#invite')).toBe('/orgs/acme?tab=members#invite');
    expect(safeNext('/orgs/acme%20robotics')).toBe('/orgs/acme%20robotics');
  });

  it('refuses anything but a string, and very long values', () => {
    for (const v of [undefined, null, 1, ['/sandbox'], { a: 1 }]) expect(safeNext(v)).toBeUndefined();
    expect(safeNext('/' + 'a'.repeat(2000))).toBeUndefined();
  });

  it('whatever it answers is a path of this site, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.webUrl(), fc.webPath(), fc.constantFrom(...OPEN_REDIRECT_BYPASSES).chain((b) => fc.string().map((s) => b + s))), (value) => {
        const out = safeNext(value);
        if (out === undefined) return;
        // A browser resolving it against this site stays on this site.
        expect(new URL(out, 'https://orgplane.example').origin).toBe('https://orgplane.example');
        expect(out.startsWith('/')).toBe(true);
        expect(out.startsWith('//')).toBe(false);
        expect(/[\u0000-\u001f\u007f\\]/.test(out)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

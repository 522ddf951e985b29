import { describe, expect, it } from 'vitest';
import { iconInitials, iconTextColor, isIconColor, nextIconColor, ICON_PALETTE } from '../../src/modules/tenancy/icon.ts';

describe('organization icon (R3.5)', () => {
  it.each([
    ['Acme Robotics', 'AR'],
    ['acme robotics west', 'AR'],
    ['Acme', 'AC'],
    ['  x  ', 'X'],
    ['Ünïcode Öl', 'ÜÖ'],
    ['42 Labs', '4L'],
    ['(Parens) & Co', 'PC'],
    ['', '?'],
  ])('%s → %s', (name, initials) => {
    expect(iconInitials(name)).toBe(initials);
  });

  it('cycles through the palette', () => {
    expect(nextIconColor(ICON_PALETTE[0].value)).toBe(ICON_PALETTE[1].value);
    expect(nextIconColor(ICON_PALETTE[ICON_PALETTE.length - 1]!.value)).toBe(ICON_PALETTE[0].value);
    expect(nextIconColor('#123456')).toBe(ICON_PALETTE[0].value);
  });

  it('accepts only #rrggbb colors', () => {
    expect(isIconColor('#A0b1C2')).toBe(true);
    for (const bad of ['red', '#abc', '#12345g', 'url(x)', '#1234567']) expect(isIconColor(bad)).toBe(false);
  });

  it('picks legible letters', () => {
    expect(iconTextColor('#ffffff')).toBe('#111827');
    expect(iconTextColor('#3346d3')).toBe('#ffffff');
  });
});

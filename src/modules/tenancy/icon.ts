/** R3.5: an organization's icon is letters derived from its name on a chosen color. */

export const ICON_PALETTE = [
  { value: '#3346d3', label: 'Indigo' },
  { value: '#0f766e', label: 'Teal' },
  { value: '#15803d', label: 'Green' },
  { value: '#b45309', label: 'Amber' },
  { value: '#c2410c', label: 'Orange' },
  { value: '#be123c', label: 'Rose' },
  { value: '#7e22ce', label: 'Purple' },
  { value: '#334155', label: 'Slate' },
] as const;

export const DEFAULT_ICON_COLOR = ICON_PALETTE[0].value;

/** First letters of the first two words, else the first two letters, upper-cased. */
export function iconInitials(name: string): string {
  const words = name
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean);
  if (words.length >= 2) return (firstChar(words[0]!) + firstChar(words[1]!)).toUpperCase();
  if (words.length === 1) return [...words[0]!].slice(0, 2).join('').toUpperCase();
  return '?';
}

const firstChar = (word: string) => [...word][0] ?? '';

export function isIconColor(value: string): boolean {
  return /^#[0-9a-f]{6}$/i.test(value);
}

/** The palette color after `current` (clicking the icon cycles through them). */
export function nextIconColor(current: string): string {
  const i = ICON_PALETTE.findIndex((c) => c.value === current.toLowerCase());
  return ICON_PALETTE[(i + 1) % ICON_PALETTE.length]!.value;
}

/** Dark text on light colors, white on dark ones, for legible letters (WCAG contrast). */
export function iconTextColor(background: string): string {
  const hex = background.replace('#', '');
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.18 ? '#111827' : '#ffffff';
}

export function iconFor(name: string, color: string) {
  return { name, initials: iconInitials(name), color, textColor: iconTextColor(color) };
}

import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../support/source.ts';

/**
 * A use case answers with a named reason when it refuses, and the caller maps
 * each reason to what the person sees (a status and a message). Every
 * `switch` over a result's reason ends in `default: … assertNever(…)`, so a
 * reason added to a use case fails the type check (part of `npm test`) until
 * every switch over it says what to do; without it the switch would fall
 * through to whatever follows — a success message for a refusal. The test
 * reads src/ for every `switch (….reason)` and fails on one without it.
 */

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Each `switch (<expr>.reason)` in a text, with its body (the braces' contents), comments and strings blanked. */
export function reasonSwitches(text: string): { line: number; subject: string; body: string }[] {
  const code = blankCommentsAndStrings(text);
  const out: { line: number; subject: string; body: string }[] = [];
  for (const m of code.matchAll(/\bswitch\s*\(\s*([\w.]+\.reason|reason)\s*\)\s*\{/g)) {
    const open = m.index! + m[0].length - 1;
    let depth = 0;
    let end = open;
    for (let i = open; i < code.length; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}' && --depth === 0) {
        end = i;
        break;
      }
    }
    out.push({ line: code.slice(0, m.index).split('\n').length, subject: m[1]!, body: code.slice(open + 1, end) });
  }
  return out;
}

/** The body's last case is `default:` and it calls assertNever. */
export const endsInAssertNever = (body: string) => /\bdefault\s*:[^]*\bassertNever\s*\(/.test(body.slice(body.lastIndexOf('default')));

/** Comments and string contents replaced by spaces (line breaks kept), so braces inside them do not count. */
function blankCommentsAndStrings(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') (out += ' '), i++;
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', i + 2);
      const stop = close < 0 ? text.length : close + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      out += c;
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') (out += ' '), i++;
        out += text[i] === '\n' ? '\n' : ' ';
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

describe('every switch over a result reason is exhaustive (issue 15 item 5)', () => {
  it('finds the switches and their bodies, and tells an exhaustive one from one that is not', () => {
    const sample = [
      "switch (result.reason) {",
      "  case 'a': { return '}'; } // a brace in a string and a comment: }",
      '  default: return assertNever(result);',
      '}',
      'switch (left.reason) {',
      "  case 'a': return 1;",
      '}',
      'switch (kind) { default: return 0; }',
    ].join('\n');
    const found = reasonSwitches(sample);
    expect(found.map((s) => [s.line, s.subject])).toEqual([
      [1, 'result.reason'],
      [5, 'left.reason'],
    ]);
    expect(found.map((s) => endsInAssertNever(s.body))).toEqual([true, false]);
    // A default that maps everything else is not exhaustive either.
    expect(endsInAssertNever(" case 'a': return 1;\n default: return 2;\n")).toBe(false);
  });

  it('src/ has no switch over a reason without a default that calls assertNever', () => {
    const switches = tsFiles(src).flatMap((file) => reasonSwitches(readFileSync(file, 'utf8')).map((s) => ({ ...s, where: `${relative(src, file)}:${s.line}` })));
    // The use cases' callers: at least the 40-odd route switches exist (a broken scan would find none).
    expect(switches.length).toBeGreaterThan(40);
    expect(switches.filter((s) => !endsInAssertNever(s.body)).map((s) => `${s.where} switch (${s.subject})`)).toEqual([]);
  });
});

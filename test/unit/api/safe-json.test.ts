import { describe, expect, it } from 'vitest';
import { parseUntrustedJson } from '../../../functions/api/safe-json.js';

describe('Function: parseUntrustedJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseUntrustedJson('{"a":[1,{"b":"ünïcødé ✓"}]}')).toEqual({ ok: true, value: { a: [1, { b: 'ünïcødé ✓' }] } });
  });

  it('refuses nesting thousands deep without recursing into it', () => {
    // Prepare
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);

    // Act
    const result = parseUntrustedJson(deep);

    // Assess
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('nesting') });
  });

  it('ignores brackets inside strings when measuring depth', () => {
    expect(parseUntrustedJson(JSON.stringify({ s: '['.repeat(500) }))).toMatchObject({ ok: true });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s anywhere, with its path', (key) => {
    const result = parseUntrustedJson(`{"payload":{"nested":{"${key}":{"polluted":true}}}}`);
    expect(result).toEqual({ ok: false, message: `forbidden key "${key}"`, path: `payload.nested.${key}` });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses NUL characters and lone surrogates in strings and keys', () => {
    expect(parseUntrustedJson('{"a":"x\\u0000y"}')).toMatchObject({ ok: false, path: 'a' });
    expect(parseUntrustedJson('{"a":["ok","\\ud800"]}')).toMatchObject({ ok: false, path: 'a[1]', message: expect.stringContaining('surrogate') });
    expect(parseUntrustedJson('{"\\udc00":1}')).toMatchObject({ ok: false });
  });

  it('accepts a well-formed surrogate pair', () => {
    expect(parseUntrustedJson('{"emoji":"\\ud83d\\ude00"}')).toEqual({ ok: true, value: { emoji: '😀' } });
  });

  it('reports malformed JSON', () => {
    expect(parseUntrustedJson('{"a":')).toMatchObject({ ok: false, message: expect.stringContaining('malformed JSON') });
  });
});

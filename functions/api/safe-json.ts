/**
 * Parses untrusted JSON defensively, before any schema sees it:
 * - nesting deeper than `maxDepth` is refused by a linear pre-scan, so a body like `[[[[…` thousands
 *   deep never reaches the recursive parser (or the recursive validator);
 * - `__proto__`, `constructor` and `prototype` keys are refused anywhere (prototype-pollution bait
 *   for any code that later merges objects);
 * - strings with NUL characters or lone UTF-16 surrogates are refused (they break DynamoDB, logs and
 *   downstream systems that expect well-formed Unicode).
 */
export type SafeJsonResult = { ok: true; value: unknown } | { ok: false; message: string; path?: string };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseUntrustedJson(text: string, maxDepth = 32): SafeJsonResult {
  const depth = maxNestingDepth(text);
  if (depth > maxDepth) return { ok: false, message: `JSON nesting deeper than ${maxDepth} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `malformed JSON: ${(error as Error).message}` };
  }
  const problem = findHostileValue(value, '');
  return problem ? { ok: false, ...problem } : { ok: true, value };
}

/** Bracket depth outside string literals, in one pass. */
function maxNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function findHostileValue(value: unknown, path: string): { message: string; path: string } | undefined {
  if (typeof value === 'string') return checkString(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findHostileValue(value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return { message: `forbidden key "${key}"`, path: keyPath };
      const keyProblem = checkString(key, keyPath);
      if (keyProblem) return keyProblem;
      const problem = findHostileValue((value as Record<string, unknown>)[key], keyPath);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkString(value: string, path: string): { message: string; path: string } | undefined {
  if (value.includes('\u0000')) return { message: 'NUL character in string', path };
  if (!value.isWellFormed()) return { message: 'lone UTF-16 surrogate in string', path };
  return undefined;
}

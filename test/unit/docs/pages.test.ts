import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../functions/api/openapi.js';
import { DOC_FILES } from '../../helpers/docs.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const heading = fence ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading) anchors.add(anchorOf(heading[1]!));
  }
  return anchors;
}

/** Markdown links outside code: `[label](target)`. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\[[^\]]+\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('Docs: the README leads, the pages hold the rest', () => {
  it('keeps the README under 250 lines, with a contents list linking its sections', () => {
    // Prepare
    const readme = read('README.md');
    const start = readme.indexOf('**Contents**');
    const contents = start < 0 ? undefined : readme.slice(start, readme.indexOf('\n\n', start));

    // Assess
    expect(readme.split('\n').length).toBeLessThan(250);
    expect(contents).toBeDefined();
    const listed = [...contents!.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    const sections = readme.split('\n').filter((line) => line.startsWith('## ')).map((line) => anchorOf(line.slice(3)));
    expect(listed).toEqual(sections);
  });

  it.each(DOC_FILES.map((file) => [file]))('%s: every relative link reaches a file, and every #anchor a heading', (file) => {
    // Prepare
    const broken: string[] = [];

    // Act
    for (const target of linksOf(read(file))) {
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : normalize(join(dirname(file), path));
      if (!existsSync(join(ROOT, resolved))) {
        broken.push(`${target}: no file ${resolved}`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(read(resolved)).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${resolved}`);
    }

    // Assess
    expect(broken).toEqual([]);
  });

  it.each(DOC_FILES.map((file) => [file]))('%s speaks of the product, not of how it was planned or of one machine', (file) => {
    // Act
    const text = read(file).replace(/\s+/g, ' ');

    // Assess
    const match = /.{0,60}(\bissue #?\d+|\bthe issue\b|\bsessions?\b|\bthis (2|two)-core machine\b).{0,60}/i.exec(text);
    expect(match?.[0]).toBeUndefined();
  });

  it('lists every route of the OpenAPI document in the API reference', () => {
    // Prepare: routes as `METHOD /path` with the parameter names and the query dropped
    const shape = (route: string) => route.replace(/\{[^}]+\}/g, '{}').replace(/\?.*$/, '');
    const document = buildOpenApiDocument();
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => shape(`${method.toUpperCase()} ${path}`)));
    const reference = read('docs/api.md');
    const listed = new Set([...reference.matchAll(/^\| `((?:GET|POST|PUT|PATCH|DELETE) [^`]+)`/gm)].map((m) => shape(m[1]!)));

    // Assess
    expect(documented.filter((route) => !listed.has(route))).toEqual([]);
    expect([...listed].filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('explains every error code the OpenAPI document lists, and no other', () => {
    // Prepare: the codes in the document's error schemas (enums of `error.code`)
    const document = JSON.stringify(buildOpenApiDocument().components);
    const codes = new Set([...document.matchAll(/"code":\{"type":"string","enum":\[([^\]]*)\]/g)].flatMap((m) => JSON.parse(`[${m[1]}]`) as string[]));
    const reference = read('docs/api.md');
    const explained = new Set([...reference.matchAll(/^\| \d{3} `([A-Z_]+)`/gm)].map((m) => m[1]!));
    // A 500's code is open in the document (`code: string`): the page may name the 500s it knows.
    const open = new Set([...reference.matchAll(/^\| 500 `([A-Z_]+)`/gm)].map((m) => m[1]!));

    // Assess
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((code) => !explained.has(code)).sort()).toEqual([]);
    expect([...explained].filter((code) => !codes.has(code) && !open.has(code)).sort()).toEqual([]);
  });
});

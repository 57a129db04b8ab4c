import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The README and every page under docs/, as paths from the repository root. */
export const DOC_FILES: readonly string[] = ['README.md', ...readdirSync(`${ROOT}docs`).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];

/** The README and the docs pages as one text, for statements that may live on any page. */
export function allDocs(): string {
  return DOC_FILES.map((file) => readFileSync(`${ROOT}${file}`, 'utf8')).join('\n');
}

export interface ShellBlock {
  /** The line of its opening fence (1-based). */
  readonly line: number;
  readonly code: string;
  /** Marked `<!-- shell: syntax-only … -->` on the line above the fence: checked with `bash -n` only. */
  readonly syntaxOnly: boolean;
}

/** The `sh`/`bash` fenced blocks of a Markdown text, in order. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`unclosed code fence at line ${i + 1}`);
    if (open[1] === 'sh' || open[1] === 'bash') {
      let above = i - 1;
      while (above >= 0 && lines[above]!.trim() === '') above--;
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), syntaxOnly: /^<!-- shell: syntax-only\b/.test(lines[above] ?? '') });
    }
    i = end;
  }
  return blocks;
}

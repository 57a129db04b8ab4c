import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Reads a PDF the way a user's tools would: poppler-utils' `pdfinfo` (page count, metadata) and
 * `pdftotext` (the text). `.ci/run` installs poppler-utils on a fresh machine.
 */
export function inspectPdf(bytes: Uint8Array): { pages: number; title: string | undefined; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-pdf-'));
  try {
    const file = join(dir, 'document.pdf');
    writeFileSync(file, bytes);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
    const title = /^Title:\s+(.*)$/m.exec(info)?.[1]?.trim();
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return { pages, title, text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Markdown table that also reads well in a terminal: columns padded, numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((row) => (row[i] ?? '') === '' || /^[-+$≤≥~\d]/.test(row[i] ?? '')));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0));
  const line = (row: readonly string[]) => `| ${row.map((cell, i) => pad(cell, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), rule, ...cells.map(line)].join('\n');
}

export const usd = (value: number) => `$${value.toFixed(3)}`;
export const fixed = (value: number, digits = 1) => value.toFixed(digits);
/** A ratio printed beside a figure, e.g. `0.82×`. */
export const ratio = (value: number, of: number) => (of > 0 && Number.isFinite(value / of) ? `${(value / of).toFixed(2)}×` : 'n/a');
/** Whether a figure meets its target, said in the table. */
export const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

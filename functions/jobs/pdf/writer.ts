import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';

export const PAGE_SIZES = {
  a4Portrait: [595.28, 841.89],
  a4Landscape: [841.89, 595.28],
} as const;

export type Align = 'left' | 'right' | 'center';

export interface TableOptions {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Relative column widths (default: equal). */
  readonly weights?: readonly number[];
  readonly align?: readonly Align[];
  readonly fontSize?: number;
  /** Called after each page of rows with the share of rows done (0–1): the handler's progress. */
  readonly onPage?: (done: number) => Promise<void>;
}

/** Lets timers and I/O callbacks run (setImmediate runs after the poll phase of this loop turn). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const GREY = rgb(0.45, 0.45, 0.48);
const LINE = rgb(0.82, 0.82, 0.85);
const HEADER_FILL = rgb(0.93, 0.94, 0.96);

/**
 * A small flowing-layout writer over pdf-lib: a cursor moving down the page, text wrapped to the
 * margins, tables whose header repeats on every page, "Page n of N" footers. Standard fonts only
 * (no font files, nothing fetched); their WinAnsi encoding cannot show every Unicode character, so
 * characters outside it print as "?" rather than failing the job.
 */
export class PdfWriter {
  readonly doc: PDFDocument;
  readonly regular: PDFFont;
  readonly bold: PDFFont;
  readonly margin = 50;
  readonly #size: readonly [number, number];
  readonly #encodable: Set<number>;
  #page!: PDFPage;
  #y = 0;

  private constructor(doc: PDFDocument, regular: PDFFont, bold: PDFFont, size: readonly [number, number]) {
    this.doc = doc;
    this.regular = regular;
    this.bold = bold;
    this.#size = size;
    this.#encodable = new Set(regular.getCharacterSet());
    this.newPage();
  }

  static async create(options: { title: string; subject?: string; author?: string; size?: readonly [number, number]; createdAt: Date }): Promise<PdfWriter> {
    const doc = await PDFDocument.create();
    doc.setTitle(options.title);
    doc.setProducer('Conveyor (pdf-lib)');
    doc.setCreator('Conveyor');
    if (options.subject) doc.setSubject(options.subject);
    if (options.author) doc.setAuthor(options.author);
    doc.setCreationDate(options.createdAt);
    doc.setModificationDate(options.createdAt);
    const [regular, bold] = await Promise.all([doc.embedFont(StandardFonts.Helvetica), doc.embedFont(StandardFonts.HelveticaBold)]);
    return new PdfWriter(doc, regular, bold, options.size ?? PAGE_SIZES.a4Portrait);
  }

  get page(): PDFPage {
    return this.#page;
  }

  get y(): number {
    return this.#y;
  }

  get width(): number {
    return this.#size[0] - 2 * this.margin;
  }

  get pageCount(): number {
    return this.doc.getPageCount();
  }

  newPage(): void {
    this.#page = this.doc.addPage([...this.#size]);
    this.#y = this.#size[1] - this.margin;
  }

  /** Starts a new page unless `height` still fits above the footer. */
  ensure(height: number): void {
    if (this.#y - height < this.margin + 20) this.newPage();
  }

  moveDown(points: number): void {
    this.#y -= points;
  }

  /** Text the standard fonts can encode: tabs become spaces, anything else unencodable becomes "?". */
  safe(text: string): string {
    // Fast path: printable ASCII is always encodable (most cells of most tables).
    if (/^[\x20-\x7e]*$/.test(text)) return text;
    let out = '';
    for (const char of text.replace(/\t/g, '    ').replace(/\r/g, '')) {
      const code = char.codePointAt(0)!;
      out += char === '\n' || this.#encodable.has(code) ? char : '?';
    }
    return out;
  }

  /** Lines of `text` that fit `maxWidth`, breaking at spaces, and inside words too long for a line. */
  wrap(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
    const lines: string[] = [];
    for (const paragraph of this.safe(text).split('\n')) {
      let line = '';
      for (const word of paragraph.split(/ +/)) {
        const candidate = line ? `${line} ${word}` : word;
        if (font.widthOfTextAtSize(candidate, size) <= maxWidth) {
          line = candidate;
          continue;
        }
        if (line) lines.push(line);
        line = word;
        while (font.widthOfTextAtSize(line, size) > maxWidth) {
          const fit = this.#fitChars(line, font, size, maxWidth);
          lines.push(line.slice(0, fit));
          line = line.slice(fit);
        }
      }
      lines.push(line);
    }
    return lines;
  }

  /** `text` cut to `maxWidth` with an ellipsis when it does not fit. */
  truncate(text: string, font: PDFFont, size: number, maxWidth: number): string {
    const safe = this.safe(text).replace(/\n/g, ' ');
    if (font.widthOfTextAtSize(safe, size) <= maxWidth) return safe;
    const fit = this.#fitChars(safe, font, size, maxWidth - font.widthOfTextAtSize('…', size));
    return `${safe.slice(0, fit)}…`;
  }

  /** Flowing text: wrapped, paginated. */
  paragraph(text: string, options: { font?: PDFFont; size?: number; color?: ReturnType<typeof rgb>; align?: Align; gap?: number } = {}): void {
    const font = options.font ?? this.regular;
    const size = options.size ?? 10;
    const lineHeight = size * 1.35;
    for (const line of this.wrap(text, font, size, this.width)) {
      this.ensure(lineHeight);
      this.#y -= lineHeight;
      this.#draw(line, { x: this.margin, width: this.width, font, size, align: options.align ?? 'left', ...(options.color ? { color: options.color } : {}) });
    }
    this.#y -= options.gap ?? size * 0.6;
  }

  heading(text: string, size = 15): void {
    this.ensure(size * 3);
    this.#y -= size * 0.4;
    this.paragraph(text, { font: this.bold, size, gap: size * 0.4 });
  }

  muted(text: string, size = 9): void {
    this.paragraph(text, { size, color: GREY });
  }

  rule(): void {
    this.ensure(10);
    this.#y -= 4;
    this.#page.drawLine({ start: { x: this.margin, y: this.#y }, end: { x: this.margin + this.width, y: this.#y }, thickness: 0.6, color: LINE });
    this.#y -= 8;
  }

  /** Label/value pairs, one per line, the labels in bold. */
  keyValues(pairs: readonly (readonly [string, string])[], size = 10): void {
    const labelWidth = Math.min(160, Math.max(...pairs.map(([label]) => this.bold.widthOfTextAtSize(this.safe(label), size))) + 12);
    for (const [label, value] of pairs) {
      const lines = this.wrap(value, this.regular, size, this.width - labelWidth);
      this.ensure(lines.length * size * 1.35);
      this.#y -= size * 1.35;
      this.#draw(label, { x: this.margin, width: labelWidth, font: this.bold, size, align: 'left' });
      lines.forEach((line, index) => {
        if (index > 0) this.#y -= size * 1.35;
        this.#draw(line, { x: this.margin + labelWidth, width: this.width - labelWidth, font: this.regular, size, align: 'left' });
      });
    }
    this.#y -= size * 0.6;
  }

  /** A table, one line per row (cells truncated to their column), the header repeated on each page. */
  async table(options: TableOptions): Promise<void> {
    const size = options.fontSize ?? 9;
    const rowHeight = size * 1.9;
    const weights = options.weights ?? options.columns.map(() => 1);
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    const widths = weights.map((w) => (w / totalWeight) * this.width);
    const xs = widths.map((_, i) => this.margin + widths.slice(0, i).reduce((a, b) => a + b, 0));
    const pad = 4;
    const drawRow = (cells: readonly string[], font: PDFFont, fill?: ReturnType<typeof rgb>): void => {
      this.#y -= rowHeight;
      if (fill) this.#page.drawRectangle({ x: this.margin, y: this.#y, width: this.width, height: rowHeight, color: fill });
      cells.forEach((cell, i) => {
        const width = widths[i]! - 2 * pad;
        this.#draw(this.truncate(cell, font, size, width), { x: xs[i]! + pad, width, font, size, align: options.align?.[i] ?? 'left', baselineOffset: rowHeight * 0.33 });
      });
      this.#page.drawLine({ start: { x: this.margin, y: this.#y }, end: { x: this.margin + this.width, y: this.#y }, thickness: 0.4, color: LINE });
    };
    const header = (): void => drawRow(options.columns, this.bold, HEADER_FILL);
    this.ensure(rowHeight * 2);
    header();
    for (let index = 0; index < options.rows.length; index++) {
      if (this.#y - rowHeight < this.margin + 20) {
        await options.onPage?.(index / options.rows.length);
        // Drawing is synchronous and onPage's awaits settle as microtasks: without a macrotask
        // turn here a long table would hold the event loop, and no timer could fire while it
        // renders — the lazy RUNNING write, the timeout signal, the answer before the deadline.
        await yieldToEventLoop();
        this.newPage();
        header();
      }
      drawRow(options.rows[index]!, this.regular);
    }
    await options.onPage?.(1);
    this.#y -= size;
  }

  /** Adds "Page n of N" footers and serialises the document. */
  async finish(footerLabel: string): Promise<Uint8Array> {
    const pages = this.doc.getPages();
    pages.forEach((page, index) => {
      const text = this.safe(`${footerLabel} · Page ${index + 1} of ${pages.length}`);
      const size = 8;
      page.drawText(text, { x: page.getWidth() - this.margin - this.regular.widthOfTextAtSize(text, size), y: this.margin / 2, size, font: this.regular, color: GREY });
    });
    return this.doc.save();
  }

  /** Draws a line centred, boxed (certificates): `y` is the baseline from the bottom of the page. */
  centered(text: string, y: number, options: { font?: PDFFont; size: number; color?: ReturnType<typeof rgb> }): void {
    const font = options.font ?? this.regular;
    this.#draw(this.truncate(text, font, options.size, this.width), { x: this.margin, width: this.width, font, size: options.size, align: 'center', y, ...(options.color ? { color: options.color } : {}) });
  }

  #draw(text: string, o: { x: number; width: number; font: PDFFont; size: number; align: Align; color?: ReturnType<typeof rgb>; baselineOffset?: number; y?: number }): void {
    const textWidth = o.font.widthOfTextAtSize(text, o.size);
    const x = o.align === 'right' ? o.x + o.width - textWidth : o.align === 'center' ? o.x + (o.width - textWidth) / 2 : o.x;
    this.#page.drawText(text, { x, y: o.y ?? this.#y + (o.baselineOffset ?? o.size * 0.3), size: o.size, font: o.font, color: o.color ?? rgb(0.1, 0.1, 0.12) });
  }

  /** How many leading characters of `text` fit `maxWidth` (binary search on the measured width). */
  #fitChars(text: string, font: PDFFont, size: number, maxWidth: number): number {
    let low = 1;
    let high = text.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (font.widthOfTextAtSize(text.slice(0, mid), size) <= maxWidth) low = mid;
      else high = mid - 1;
    }
    return Math.max(1, low);
  }
}

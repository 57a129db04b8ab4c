/** What every document renderer gets besides its data. */
export interface RenderTools {
  /** The document's creation time (printed, and in its metadata). */
  readonly createdAt: Date;
  /** Reports rendering progress as a share of the document (0–1). */
  progress(fraction: number, message: string): Promise<void>;
}

export interface RenderedPdf {
  readonly bytes: Uint8Array;
  readonly pages: number;
}

/** Table cells as printed: null empty, booleans yes/no, numbers as written. */
export function cellText(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

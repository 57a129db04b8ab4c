import * as z from 'zod';

/**
 * Field builders shared by job payload schemas. Every string that can reach a mail header, a file
 * name or a PDF line is bounded and free of control characters, so hostile input is a 400 at
 * enqueue naming the field — never something a worker discovers later.
 */

/** C0 controls (CR, LF, TAB, NUL…), DEL, C1 controls and the Unicode line/paragraph separators. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Multi-line text may keep LF, CR and TAB; every other control character is refused. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_EXCEPT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/;

/** True when `value` holds a character that could end a header line or hide in one. */
export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

export const HEADER_INJECTION_MESSAGE = 'must be a single line: CR, LF and other control characters are not allowed';

/** One line of text (names, titles, subjects): 1…max characters, no control characters. */
export function singleLine(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !hasControlCharacters(value), { message: HEADER_INJECTION_MESSAGE });
}

/** Free text that may span lines (paragraphs, notes): ≤ max characters, newlines and tabs only. */
export function multiLine(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL_EXCEPT_NEWLINES.test(value), { message: 'control characters other than newline and tab are not allowed' });
}

/**
 * A bare e-mail address (`name@example.com`): no display name, no comment, no list. The control
 * character check runs first so an injection attempt is reported as such, not as a bad address.
 */
export const emailAddress = z
  .string()
  .max(254, 'must be at most 254 characters')
  .refine((value) => !hasControlCharacters(value), { message: HEADER_INJECTION_MESSAGE, abort: true })
  .pipe(z.email({ message: 'must be a bare e-mail address like name@example.com' }));

/** A link put into an e-mail or a document: http(s) only (no javascript:, data: or file:), never fetched. */
export const webUrl = z
  .string()
  .max(2_048, 'must be at most 2048 characters')
  .refine((value) => !hasControlCharacters(value), { message: 'control characters are not allowed in a URL', abort: true })
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }));

/** A calendar date, `YYYY-MM-DD`. */
export const isoDate = z.iso.date({ message: 'must be a date like 2026-11-23' });

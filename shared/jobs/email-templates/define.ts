import type { z } from 'zod';

/** What a template renders: the subject and both MIME parts. */
export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/**
 * One e-mail template: its data schema (validated at enqueue, so bad data is a 400 naming
 * `payload.data.<field>`) and pure render functions. Templates live in code, one file each;
 * add one by writing a file and listing it in `./index.ts`.
 */
export interface EmailTemplate<TName extends string = string, TData extends z.ZodType = z.ZodType> {
  readonly name: TName;
  readonly data: TData;
  subject(data: z.infer<TData>, context: RenderContext): string;
  html(data: z.infer<TData>, context: RenderContext): string;
  text(data: z.infer<TData>, context: RenderContext): string;
}

/** What a template may know besides its data: the clock, passed in so rendering stays pure. */
export interface RenderContext {
  readonly now: Date;
}

export function defineEmailTemplate<const TName extends string, TData extends z.ZodType>(template: EmailTemplate<TName, TData>): EmailTemplate<TName, TData> {
  return Object.freeze(template);
}

export const DEFAULT_PRODUCT_NAME = 'Conveyor';

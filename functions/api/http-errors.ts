import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
}

/** An error the API answers with a status and the JSON body `{error:{code,message,issues?}}`. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: readonly ErrorIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): { error: { code: string; message: string; issues?: readonly ErrorIssue[] } } {
    return { error: { code: this.code, message: this.message, ...(this.issues?.length ? { issues: this.issues } : {}) } };
  }
}

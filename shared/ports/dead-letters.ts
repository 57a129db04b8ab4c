/**
 * The dead letters of each job type, across tenants, so that an operator can list a DLQ without
 * receiving (and so disturbing) its messages, and a redrive knows which records to put back. A job is
 * listed by the very write that makes it DEAD (attributes on its own item, read through a sparse
 * index) and unlisted by the write that takes it out of DEAD: there is nothing to add or remove apart.
 */
export interface DeadLetterIndex {
  /**
   * Ids of the type's DEAD jobs whose DLQ message may still exist, newest first. The index is
   * eventually consistent: callers read each record before acting on it.
   */
  list(type: string, options: { limit: number; cursor?: string }): Promise<{ jobIds: string[]; cursor?: string }>;
  /**
   * The same listing from just past `after` (a job id, unsigned): a redrive task walks it in pages
   * and keeps its place on its own record, not in a cursor handed to a caller.
   */
  after(type: string, options: { limit: number; after?: string }): Promise<string[]>;
  /** How many jobs the type's listing holds (bounded read). */
  count(type: string): Promise<number>;
}

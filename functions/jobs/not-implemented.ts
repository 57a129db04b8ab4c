import { PermanentJobError } from '../../shared/domain/errors.js';
import type { JobHandler } from '../worker/context.js';

/** An honest placeholder: the job type is registered but its work is not built yet. */
export function notImplemented(type: string): JobHandler<unknown, never> {
  return async () => {
    throw new PermanentJobError(`the "${type}" job type is registered but its handler is not implemented yet`, 'NOT_IMPLEMENTED');
  };
}

import { JobValidationError } from '../../shared/domain/errors.js';
import type { EnqueueOptions } from '../../shared/jobs/enqueue-options.js';
import { literalAddressProblem, type AddressPolicy } from './address-policy.js';

/**
 * Enqueue-time check of a callbackUrl (400 naming `callbackUrl`): webhooks must be on, and a literal
 * private, loopback or link-local address is refused at once. Host names are checked again, after
 * DNS resolution, at every delivery.
 */
export function checkCallback(request: EnqueueOptions, policy: AddressPolicy | undefined): void {
  if (request.callbackUrl === undefined) return;
  if (!policy) throw new JobValidationError('webhooks are not enabled on this deployment', [{ path: 'callbackUrl', message: 'webhooks are not enabled on this deployment' }]);
  const problem = literalAddressProblem(request.callbackUrl, policy);
  if (problem) throw new JobValidationError(problem, [{ path: 'callbackUrl', message: problem }]);
}

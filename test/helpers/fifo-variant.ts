import type * as z from 'zod';
import { defineJob, hasPriorityField, type JobDefinition, type JobSettings } from '../../shared/jobs/define.js';

/**
 * A FIFO variant of a registry job type, for tests: the same type name and payload (less a `priority`
 * field and its `priorities` setting: a FIFO type has no priority lanes), `ordering: 'fifo'`, and any settings a test needs. A test
 * file swaps it in for the real definition with `vi.mock` of the definition's module, so the API, the
 * local cloud and the worker all see one FIFO type — and no FIFO type ships that nothing uses.
 */
export function fifoVariantOf<T extends JobDefinition>(definition: T, settings: Partial<JobSettings> = {}): T {
  const payload = hasPriorityField(definition.payload) ? (definition.payload as unknown as z.ZodObject).omit({ priority: true }) : definition.payload;
  return defineJob({
    type: definition.type,
    description: `${definition.description} (FIFO variant for tests)`,
    payload,
    // No priority lanes on a FIFO type, whether the type had them by its payload or by its settings.
    settings: { ...definition.settings, ...settings, ordering: 'fifo', priorities: false },
  }) as unknown as T;
}

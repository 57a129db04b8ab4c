import * as z from 'zod';

/** Children of one flow in all (every level): each is a record and a write, made before the answer. */
export const MAX_FLOW_CHILDREN = 100;
/** Levels of children below the flow's parent: children, grandchildren, great-grandchildren. */
export const MAX_FLOW_DEPTH = 3;

/** What a job with children does when one of them does not succeed. */
export const flowOptionsSchema = z.object({
  /** `fail` (default): the parent ends FAILED with CHILD_FAILED, naming the child; `continue`: it runs anyway. */
  onChildFailure: z.enum(['fail', 'continue']).optional(),
}).strict();

export interface FlowNodeInput {
  readonly type: string;
  readonly payload?: unknown;
  readonly options?: z.infer<typeof flowOptionsSchema>;
  readonly children?: readonly FlowNodeInput[];
}

/**
 * One job of a flow. `type` and `payload` are checked against the job registry per node once the
 * shape is known (functions/flows/plan.ts), so an error names the node's path (`children.2.payload.to`).
 */
export const flowChildSchema: z.ZodType<FlowNodeInput> = z.object({
  type: z.string().min(1),
  payload: z.unknown(),
  options: flowOptionsSchema.optional(),
  get children() {
    return z.array(flowChildSchema).min(1).max(MAX_FLOW_CHILDREN).optional();
  },
}).strict();

/** The body of `POST /v1/flows`: a parent job and its children, which may have children. */
export const flowRequestSchema = z.object({
  type: z.string().min(1),
  payload: z.unknown(),
  options: flowOptionsSchema.optional(),
  children: z.array(flowChildSchema).min(1).max(MAX_FLOW_CHILDREN),
}).strict();

export type FlowRequest = z.infer<typeof flowRequestSchema>;

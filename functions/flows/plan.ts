import { JobValidationError, PayloadTooLargeError } from '../../shared/domain/errors.js';
import { MAX_FLOW_CHILDREN, MAX_FLOW_DEPTH, type FlowNodeInput, type FlowRequest } from '../../shared/jobs/flow.js';
import { enqueueRequestSchema, getJobDefinition, type EnqueueRequest } from '../../shared/jobs/registry.js';

/** One job of a checked flow: its request, where it was in the body, and its children. */
export interface FlowNode {
  /** Its path in the request body: '' for the parent, `children.0.children.2` for a grandchild. */
  readonly path: string;
  readonly request: EnqueueRequest;
  readonly onChildFailure?: 'continue';
  readonly children: readonly FlowNode[];
}

/**
 * Checks a whole flow before anything is written: every node's type and payload against the registry
 * (issues name the node's path, `children.1.payload.to`), at most MAX_FLOW_CHILDREN children in all
 * and MAX_FLOW_DEPTH levels of them, no FIFO type with children, then `check` per node (what the store
 * and queue accept — it throws JobValidationError or PayloadTooLargeError with paths from the node,
 * re-rooted here).
 */
export function planFlow(body: FlowRequest, check: (node: FlowNode) => void): FlowNode {
  const issues: { path: string; message: string }[] = [];
  let total = 0;
  const visit = (input: FlowNodeInput, path: string, depth: number): FlowNode | undefined => {
    const parsed = enqueueRequestSchema.safeParse({ type: input.type, payload: input.payload });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push({ path: join(path, issue.path.map(String).join('.')), message: issue.message });
    }
    const childInputs = input.children ?? [];
    if (parsed.success && childInputs.length > 0 && getJobDefinition(parsed.data.type).settings.ordering === 'fifo') {
      // A parent is sent when its last child ends: on a FIFO type it would join its group behind jobs
      // enqueued after it, so it could not keep its place (as an edit could not: JOB_ORDERED).
      issues.push({ path: join(path, 'type'), message: `job type "${parsed.data.type}" runs jobs in enqueue order (FIFO): a job of it cannot have children, which would send it only once they end` });
    }
    if (childInputs.length > 0 && depth >= MAX_FLOW_DEPTH) {
      issues.push({ path: join(path, 'children'), message: `children nest at most ${MAX_FLOW_DEPTH} levels below the flow's parent` });
      return undefined;
    }
    total += childInputs.length;
    const children = childInputs.map((child, index) => visit(child, join(path, `children.${index}`), depth + 1));
    if (!parsed.success || children.some((child) => child === undefined)) return undefined;
    return {
      path,
      request: parsed.data as EnqueueRequest,
      ...(input.options?.onChildFailure === 'continue' ? { onChildFailure: 'continue' as const } : {}),
      children: children as FlowNode[],
    };
  };
  const root = visit(body, '', 0);
  if (total > MAX_FLOW_CHILDREN) issues.push({ path: 'children', message: `a flow has at most ${MAX_FLOW_CHILDREN} children in all, at every level (this one has ${total})` });
  if (issues.length > 0 || !root) throw new JobValidationError('flow does not match the schema', issues);
  for (const node of nodesOf(root)) {
    try {
      check(node);
    } catch (error) {
      if (error instanceof JobValidationError) throw new JobValidationError(error.message, rerooted(error.issues, node.path));
      if (error instanceof PayloadTooLargeError) throw new PayloadTooLargeError(error.message, rerooted(error.issues, node.path));
      throw error;
    }
  }
  return root;
}

/** Every node of the flow, parents before their children. */
export function nodesOf(root: FlowNode): FlowNode[] {
  return [root, ...root.children.flatMap(nodesOf)];
}

function rerooted(issues: readonly { path: string; message: string }[], path: string): { path: string; message: string }[] {
  return issues.map((issue) => ({ ...issue, path: join(path, issue.path === '(root)' ? '' : issue.path) }));
}

function join(path: string, rest: string): string {
  return path && rest ? `${path}.${rest}` : path || rest || '(root)';
}

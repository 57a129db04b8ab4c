/** X-Ray annotations: indexed, searchable key/values (`annotation.correlationId = "…"`). */
export type TraceAnnotations = Readonly<Record<string, string | number | boolean | undefined>>;

/** Distributed tracing: a piece of work as a subsegment of the invocation's trace, annotated. */
export interface Tracer {
  span<T>(name: string, annotations: TraceAnnotations, work: () => Promise<T>): Promise<T>;
}

/** No tracing: runs the work as it is (tracing off, tests). */
export const noTracer: Tracer = Object.freeze({ span: <T>(_name: string, _annotations: TraceAnnotations, work: () => Promise<T>) => work() });

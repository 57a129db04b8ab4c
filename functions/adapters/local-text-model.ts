import type { ModelReply, ModelRequest, TextModel } from '../../shared/ports/text-model.js';

/** The first line of every local reply: nobody should mistake it for a model's words. */
export const LOCAL_MODEL_NOTICE = '[local model: deterministic stand-in, no language model was called]';

/**
 * The TextModel of the local cloud and the tests: deterministic, instant, free, and saying so. It
 * echoes the outline of the last user message — its `## ` headings and its `- ` / `1. ` list lines,
 * in order — which the AI tasks' prompts are built from, so their parsers get text in the shape a
 * real model is asked for. A message with no outline gets a one-line acknowledgement. The reply is
 * cut at `maxTokens` words (stop reason `max_tokens`). Usage counts words, not tokens.
 */
export class LocalTextModel implements TextModel {
  readonly provider = 'local' as const;
  readonly modelId: string;

  constructor(options: { modelId?: string } = {}) {
    this.modelId = options.modelId ?? 'conveyor-local-echo';
  }

  generate(request: ModelRequest, options: { readonly signal: AbortSignal }): Promise<ModelReply> {
    options.signal.throwIfAborted();
    const last = [...request.messages].reverse().find((m) => m.role === 'user')?.text ?? '';
    const outline = last.split('\n').map((line) => line.trim()).filter((line) => /^(?:## |- |\d+\. )/.test(line));
    const body = outline.length > 0
      ? outline.join('\n')
      : `You said: "${oneLine(last, 200)}" (${request.messages.length} message${request.messages.length === 1 ? '' : 's'} in this conversation).`;
    const words = `${LOCAL_MODEL_NOTICE}\n${body}`.split(/(?<=\s)/);
    const truncated = words.length > request.maxTokens;
    const text = (truncated ? words.slice(0, request.maxTokens) : words).join('').trimEnd();
    const inputTokens = countWords([request.system ?? '', ...request.messages.map((m) => m.text)].join(' '));
    const outputTokens = countWords(text);
    return Promise.resolve({ text, stopReason: truncated ? 'max_tokens' : 'end_turn', usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens } });
  }
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

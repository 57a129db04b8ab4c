import type { SignedResponse } from './signed-http.js';

/**
 * A REST-JSON service's error answer (Lambda, SES v2…), read as the SDK reads it (@smithy/core
 * `loadRestJsonErrorCode`): the name from the `x-amzn-ErrorType` header, else the body's `code`
 * (any case), else its `__type`, cut to the bare name (`Name:http://internal…`, `ns#Name`, `A,B`);
 * the message from `message` or `Message`. Lambda's body `Type` is the fault side (User or Service),
 * not the error's name, and is not read.
 */
export function restJsonError(response: SignedResponse): { code?: string | undefined; message?: string | undefined } {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(response.body));
    if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): named by the status (signed-http.ts).
  }
  const codeKey = Object.keys(data).find((key) => key.toLowerCase() === 'code');
  const raw = [response.headers['x-amzn-errortype'], codeKey === undefined ? undefined : data[codeKey], data.__type].find((v): v is string => typeof v === 'string' && v.length > 0);
  const code = raw?.split(',')[0]?.split(':')[0]?.split('#').pop();
  const message = [data.message, data.Message].find((v): v is string => typeof v === 'string');
  return { code: code || undefined, message };
}

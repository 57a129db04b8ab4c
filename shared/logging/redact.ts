/**
 * A URL as it may appear in a log: origin and path only. User, password, query string and fragment
 * are where callers put secrets (`https://user:pass@host/hook?token=…`), so they never reach a log line.
 */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

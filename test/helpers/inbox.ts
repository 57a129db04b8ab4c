/** One message as the local SES server's `GET /store` lists it. */
export interface InboxMessage {
  readonly messageId: string;
  readonly from: string;
  readonly replyTo: string[];
  readonly destination: { readonly to: string[]; readonly cc: string[]; readonly bcc: string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly at: number;
}

/** Reads every message the local SES server holds. */
export async function readInbox(storeUrl: string): Promise<InboxMessage[]> {
  const response = await fetch(storeUrl);
  if (!response.ok) throw new Error(`inbox answered ${response.status}`);
  return ((await response.json()) as { emails: InboxMessage[] }).emails;
}

/** Messages addressed (to, cc or bcc) to `address`. */
export async function messagesTo(storeUrl: string, address: string): Promise<InboxMessage[]> {
  return (await readInbox(storeUrl)).filter((m) => [...m.destination.to, ...m.destination.cc, ...m.destination.bcc].includes(address));
}

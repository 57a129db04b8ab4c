import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. On AWS a callback must resolve only to public addresses: never loopback,
 * private (RFC 1918, ULA), link-local (169.254/16 — the instance metadata service — and fe80::/10),
 * carrier-grade NAT, or unspecified. For local development an allow-list of hosts
 * (`CONVEYOR_WEBHOOK_ALLOW_HOSTS`, e.g. `127.0.0.1,localhost`) lifts the rule for those hosts only.
 */
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

export class WebhookAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAddressError';
  }
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is checked as the IPv4 address it carries.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped ? blocked.check(mapped[1]!, 'ipv4') : blocked.check(address, 'ipv6');
  }
  return true;
}

export interface AddressPolicy {
  /** Hosts (names or literal IPs) exempt from the rule, lower-case. */
  readonly allowHosts: ReadonlySet<string>;
}

export function addressPolicy(allowHosts: string | undefined): AddressPolicy {
  return { allowHosts: new Set((allowHosts ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)) };
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** At enqueue: refuses a callback whose host is a literal non-public IP (no DNS lookup). */
export function literalAddressProblem(callbackUrl: string, policy: AddressPolicy): string | undefined {
  const url = new URL(callbackUrl);
  const host = hostOf(url);
  if (policy.allowHosts.has(host)) return undefined;
  if (isIP(host) && isBlockedAddress(host)) return `callbackUrl points at a private, loopback or link-local address (${host})`;
  if (host === 'localhost' || host.endsWith('.localhost')) return 'callbackUrl points at localhost';
  return undefined;
}

/**
 * At delivery: resolves the host and returns the address to connect to — every resolved address
 * must be public (unless allow-listed), and the request then goes to that very address, so a DNS
 * answer that changes between check and connect (rebinding) cannot reach a private one.
 */
export async function resolveDeliverable(callbackUrl: string, policy: AddressPolicy): Promise<{ address: string; family: 4 | 6 }> {
  const url = new URL(callbackUrl);
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new WebhookAddressError(`${host} does not resolve`);
  if (!policy.allowHosts.has(host)) {
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) throw new WebhookAddressError(`${host} resolves to ${bad.address}, a private, loopback or link-local address`);
  }
  const chosen = addresses[0]!;
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

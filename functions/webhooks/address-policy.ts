import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. On AWS a callback must resolve only to public addresses: never loopback,
 * private (RFC 1918, ULA), link-local (169.254/16 — the instance metadata service — and fe80::/10),
 * carrier-grade NAT, documentation, multicast or unspecified. An IPv6 address that carries an IPv4
 * address (IPv4-mapped and -translated, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4
 * address it carries, so `[::ffff:0:7f00:1]` or `[2002:a9fe:a9fe::]` cannot reach what `127.0.0.1`
 * or `169.254.169.254` may not. For local development an allow-list of hosts
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
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d (RFC 4291).
  ['::', 96],
  // Local-use NAT64 (RFC 8215): translates into the operator's own IPv4 networks.
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // Teredo: the IPv4 address inside is obfuscated, and the protocol is long obsolete.
  ['2001::', 32],
  ['2001:db8::', 32],
  ['3fff::', 20],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
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
  if (family !== 6) return true;
  if (blocked.check(address, 'ipv6')) return true;
  const carried = embeddedIPv4(address);
  return carried !== undefined && blocked.check(carried, 'ipv4');
}

/** The IPv4 address an IPv6 address carries, in the forms that route to it; undefined for others. */
export function embeddedIPv4(address: string): string | undefined {
  const w = ipv6Words(address);
  if (!w) return undefined;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => w.slice(from, to).every((word) => word === 0);
  // ::ffff:a.b.c.d (IPv4-mapped) and ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765).
  if (zeros(0, 5) && w[5] === 0xffff) return v4(w[6]!, w[7]!);
  if (zeros(0, 4) && w[4] === 0xffff && w[5] === 0) return v4(w[6]!, w[7]!);
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return v4(w[6]!, w[7]!);
  // 6to4 2002:AABB:CCDD::/48 (RFC 3056).
  if (w[0] === 0x2002) return v4(w[1]!, w[2]!);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (already known to be one), `::` and a dotted tail expanded. */
function ipv6Words(address: string): number[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((word) => Number.parseInt(word, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const words = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff) ? words : undefined;
}

export interface AddressPolicy {
  /** Hosts (names or literal IPs) exempt from the rule, lower-case. */
  readonly allowHosts: ReadonlySet<string>;
}

export function addressPolicy(allowHosts: string | undefined): AddressPolicy {
  return { allowHosts: new Set((allowHosts ?? '').split(',').map(normalHost).filter(Boolean)) };
}

/** A host as compared: lower-case, without IPv6 brackets or the root label's dot (`localhost.` is `localhost`). */
function normalHost(host: string): string {
  return host.trim().replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
}

function hostOf(url: URL): string {
  return normalHost(url.hostname);
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

/** Resolves a host name to every address it has (the system resolver by default). */
export type Resolver = (host: string) => Promise<readonly { address: string; family: number }[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * At delivery: resolves the host and returns the address to connect to — every resolved address
 * must be public (unless allow-listed), and the request then goes to that very address, so a DNS
 * answer that changes between check and connect (rebinding) cannot reach a private one.
 */
export async function resolveDeliverable(callbackUrl: string, policy: AddressPolicy, resolve: Resolver = systemResolver): Promise<{ address: string; family: 4 | 6 }> {
  const url = new URL(callbackUrl);
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await resolve(host);
  if (addresses.length === 0) throw new WebhookAddressError(`${host} does not resolve`);
  if (!policy.allowHosts.has(host)) {
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) throw new WebhookAddressError(`${host} resolves to ${bad.address}, a private, loopback or link-local address`);
  }
  const chosen = addresses[0]!;
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

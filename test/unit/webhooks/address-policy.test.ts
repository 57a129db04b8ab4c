import { describe, expect, it } from 'vitest';
import { addressPolicy, embeddedIPv4, isBlockedAddress, literalAddressProblem, resolveDeliverable, type Resolver } from '../../../functions/webhooks/address-policy.js';

const onAws = addressPolicy('');
const resolvingTo = (...addresses: string[]): Resolver => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('Function: isBlockedAddress', () => {
  it.each([
    ['the EC2 instance metadata service', '169.254.169.254'],
    ['the ECS task metadata endpoint', '169.254.170.2'],
    ['the EC2 metadata service over IPv6', 'fd00:ec2::254'],
    ['the Amazon Time Sync Service over IPv6', 'fd00:ec2::123'],
    ['metadata, IPv4-mapped', '::ffff:169.254.169.254'],
    ['metadata, IPv4-mapped in hex', '::ffff:a9fe:a9fe'],
    ['metadata, IPv4-translated', '::ffff:0:a9fe:a9fe'],
    ['metadata, IPv4-compatible', '::169.254.169.254'],
    ['metadata through NAT64', '64:ff9b::a9fe:a9fe'],
    ['metadata through NAT64, dotted', '64:ff9b::169.254.169.254'],
    ['metadata through 6to4', '2002:a9fe:a9fe::1'],
    ['loopback, IPv4-compatible', '::127.0.0.2'],
    ['loopback, IPv4-translated', '::ffff:0:7f00:1'],
    ['a private network through 6to4', '2002:0a00:0001::'],
    ['local-use NAT64', '64:ff9b:1::808:808'],
    ['Teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
    ['IPv6 loopback', '::1'],
    ['unspecified', '::'],
    ['IPv6 link-local', 'fe80::1'],
    ['documentation', '2001:db8::1'],
    ['TEST-NET-3', '203.0.113.7'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['RFC 1918', '172.31.255.255'],
  ])('refuses %s (%s)', (_name, address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    ['a public IPv4 address', '93.184.215.14'],
    ['a public IPv6 address', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    ['a public IPv4 address through NAT64 (what DNS64 answers)', '64:ff9b::5db8:d70e'],
    ['a public IPv4 address through 6to4', '2002:5db8:d70e::1'],
    ['a public IPv4 address, IPv4-mapped', '::ffff:93.184.215.14'],
  ])('allows %s (%s)', (_name, address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it('reads the IPv4 address inside each form that carries one, and none from other addresses', () => {
    expect(embeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIPv4('::ffff:0:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIPv4('64:ff9b::c000:221')).toBe('192.0.2.33');
    expect(embeddedIPv4('2002:c000:221::')).toBe('192.0.2.33');
    expect(embeddedIPv4('2606:2800:21f:cb07:6820:80da:af6b:8b2c')).toBeUndefined();
  });
});

describe('Function: literalAddressProblem (at enqueue)', () => {
  it.each(['http://localhost./x', 'http://LOCALHOST/x', 'http://app.localhost./x', 'http://[::127.0.0.2]/x', 'http://[::ffff:0:7f00:1]/x', 'http://[64:ff9b::a9fe:a9fe]/x', 'http://[2002:a9fe:a9fe::]/x', 'http://[fd00:ec2::254]/latest/meta-data', 'http://169.254.169.254/latest/meta-data', 'http://0xa9.0xfe.0xa9.0xfe/'])('refuses %s', (url) => {
    expect(literalAddressProblem(url, onAws)).toBeDefined();
  });

  it('lets an allow-listed host through in any spelling, and a public name through to its DNS check', () => {
    expect(literalAddressProblem('http://localhost.:4000/x', addressPolicy('127.0.0.1,localhost'))).toBeUndefined();
    expect(literalAddressProblem('https://hooks.example.com/x', onAws)).toBeUndefined();
  });
});

describe('Function: resolveDeliverable (at delivery)', () => {
  it.each(['169.254.169.254', 'fd00:ec2::254', '::ffff:0:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::'])('refuses a name that resolves to %s', async (address) => {
    await expect(resolveDeliverable('https://hooks.example.com/x', onAws, resolvingTo(address))).rejects.toThrow(/private, loopback or link-local/);
  });

  it('refuses a name if any of its addresses is refused, and otherwise returns the first', async () => {
    await expect(resolveDeliverable('https://hooks.example.com/x', onAws, resolvingTo('93.184.215.14', '169.254.169.254'))).rejects.toThrow(/169\.254\.169\.254/);
    await expect(resolveDeliverable('https://hooks.example.com/x', onAws, resolvingTo('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'))).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });

  it('refuses `localhost.` on AWS, where no host is allow-listed', async () => {
    await expect(resolveDeliverable('http://localhost./x', onAws, resolvingTo('127.0.0.1'))).rejects.toThrow(/loopback/);
  });
});

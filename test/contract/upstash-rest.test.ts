import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashServer, type UpstashServer } from '../../local/upstash/server.js';

let server: UpstashServer;

beforeAll(async () => {
  server = await startUpstashServer();
});

afterAll(async () => {
  await server?.close();
});

const client = (options: { responseEncoding?: false } = {}) =>
  new Redis({ url: server.url, token: server.token, retry: false, enableTelemetry: false, ...options });

describe('Contract: the local Upstash REST endpoint, through the real @upstash/redis client', () => {
  it('round-trips strings, JSON values, counters and expiry (base64 responses, the client default)', async () => {
    // Prepare
    const redis = client();

    // Act
    const set = await redis.set('greeting', 'héllo wörld ✓', { ex: 60 });
    const got = await redis.get<string>('greeting');
    await redis.set('doc', { a: 1, list: ['x', 'y'] });
    const doc = await redis.get<{ a: number; list: string[] }>('doc');
    const counter = [await redis.incr('n'), await redis.incrby('n', 41)];
    const ttl = await redis.ttl('greeting');
    const missing = await redis.get('nope');
    const pong = await redis.ping();

    // Assess
    expect(set).toBe('OK');
    expect(got).toBe('héllo wörld ✓');
    expect(doc).toEqual({ a: 1, list: ['x', 'y'] });
    expect(counter).toEqual([1, 42]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(missing).toBeNull();
    expect(pong).toBe('PONG');
  });

  it('answers without base64 when the client asks for plain JSON', async () => {
    const redis = client({ responseEncoding: false });
    await redis.hset('h', { f1: 'v1', f2: 'v2' });
    expect(await redis.hgetall('h')).toEqual({ f1: 'v1', f2: 'v2' });
    expect(await redis.zadd('z', { score: 2, member: 'b' }, { score: 1, member: 'a' })).toBe(2);
    expect(await redis.zrange('z', 0, -1)).toEqual(['a', 'b']);
  });

  it('runs a pipeline, reporting each command’s own error', async () => {
    const redis = client();
    await redis.set('str', 'text');
    const results = await redis.pipeline().set('p1', 'a').incr('p2').get('p1').lpush('str', 'x').exec({ keepErrors: true });
    expect(results.map((r) => r.result ?? null).slice(0, 3)).toEqual(['OK', 1, 'a']);
    expect(results[3]?.error).toMatch(/WRONGTYPE/);
  });

  it('runs multi-exec as one transaction', async () => {
    const redis = client();
    const results = await redis.multi().set('t1', '1').incr('t1').get('t1').exec();
    expect(results).toEqual(['OK', 2, 2]);
  });

  it('runs Lua scripts, with EVALSHA falling back to EVAL on NOSCRIPT', async () => {
    const redis = client();
    const script = redis.createScript<[string, number]>("redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), redis.call('STRLEN', KEYS[1])}");
    expect(await script.exec(['lua-key'], ['from lua'])).toEqual(['from lua', 8]);
    expect(await script.exec(['lua-key'], ['again'])).toEqual(['again', 5]);
  });

  it('rejects a wrong token with 401 and a bad command with 400 {error}', async () => {
    // Prepare
    const wrong = new Redis({ url: server.url, token: 'not-the-token', retry: false, enableTelemetry: false });

    // Act / Assess
    await expect(wrong.get('x')).rejects.toThrow(/Unauthorized/);
    const bad = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: '["NOSUCHCOMMAND"]' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringMatching(/unknown command/i) });
    const blocking = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: '["BLPOP","q","0"]' });
    expect(blocking.status).toBe(400);
    const notJson = await fetch(`${server.url}/pipeline`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('serves path-style commands for curl', async () => {
    const headers = { authorization: `Bearer ${server.token}` };
    expect(await (await fetch(`${server.url}/set/path-key/hello%20there`, { headers })).json()).toEqual({ result: 'OK' });
    expect(await (await fetch(`${server.url}/get/path-key`, { headers })).json()).toEqual({ result: 'hello there' });
  });
});

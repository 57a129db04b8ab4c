import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { SLIDING_WINDOW_LUA, UpstashRateLimiter } from '../../functions/adapters/upstash/upstash-rate-limiter.js';
import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import { startUpstashServer, type UpstashServer } from '../../local/upstash/server.js';

let server: UpstashServer;
let limiter: UpstashRateLimiter;

beforeAll(async () => {
  server = await startUpstashServer();
  // The production deadline (1 s, then fail open) is not what these tests are about, and a busy machine
  // can exceed it; the deadline itself is covered by the unreachable-endpoint test below.
  limiter = new UpstashRateLimiter({ url: server.url, token: server.token, prefix: 'test:', timeoutMs: 20_000 });
});

afterAll(async () => {
  await server?.close();
});

/** A command straight to the local endpoint's REST API (what the limiter does not do itself). */
async function command(args: readonly string[]): Promise<unknown> {
  const response = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: JSON.stringify(args) });
  return ((await response.json()) as { result: unknown }).result;
}

describe('Class: UpstashRateLimiter (sliding-window log in one EVAL)', () => {
  it('allows exactly the limit, then refuses with the wait until the oldest unit expires', async () => {
    // Act
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.take('exact', { limit: 5, windowSeconds: 30 }));

    // Assess
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(decisions[5]!.retryAfterMs).toBeGreaterThan(0);
    expect(decisions[5]!.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('is atomic under concurrency: 50 racing callers, exactly 20 allowed', async () => {
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.take('race', { limit: 20, windowSeconds: 60 })));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
  });

  it('takes a cost all or nothing', async () => {
    const rule = { limit: 10, windowSeconds: 60 };
    expect((await limiter.take('cost', rule, 7)).allowed).toBe(true);
    const tooMany = await limiter.take('cost', rule, 4);
    expect(tooMany).toMatchObject({ allowed: false, remaining: 3 });
    expect((await limiter.take('cost', rule, 3)).allowed).toBe(true);
    expect((await limiter.take('cost', rule, 11)).allowed).toBe(false);
  });

  it('allows again once the window has slid past', async () => {
    // Prepare: the limiter reads Redis's own clock, so the refusal needs the second call inside the
    // window; 3 s leaves room for a busy machine (a 0.2 s window did not) and the wait polls below.
    const rule = { limit: 1, windowSeconds: 3 };
    expect((await limiter.take('slide', rule)).allowed).toBe(true);
    const refused = await limiter.take('slide', rule);
    expect(refused.allowed).toBe(false);

    // Act: wait as long as the limiter said, polling rather than trusting one sleep.
    await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs));
    let again = await limiter.take('slide', rule);
    for (let i = 0; !again.allowed && i < 500; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await limiter.take('slide', rule);
    }

    // Assess
    expect(again.allowed).toBe(true);
  });

  it('loads its script with EVAL on a database that has not seen it, then runs it by hash', async () => {
    // Prepare: a database whose script cache is empty
    await command(['SCRIPT', 'FLUSH']);

    // Act
    const first = await limiter.take('loaded', { limit: 2, windowSeconds: 30 });
    const cached = await command(['SCRIPT', 'EXISTS', createHash('sha1').update(SLIDING_WINDOW_LUA).digest('hex')]);
    const second = await limiter.take('loaded', { limit: 2, windowSeconds: 30 });

    // Assess
    expect([first, second].map((d) => d.remaining)).toEqual([1, 0]);
    expect(cached).toEqual([1]);
  });

  it('reports a refused token as DependencyUnavailableError, naming the answer', async () => {
    // Prepare
    const refused = new UpstashRateLimiter({ url: server.url, token: 'not-the-token', prefix: 'x:', timeoutMs: 20_000 });

    // Act
    const taking = refused.take('k', { limit: 1, windowSeconds: 1 });

    // Assess
    await expect(taking).rejects.toThrow(DependencyUnavailableError);
    await expect(taking).rejects.toThrow(/401/);
  });

  it('reports an unreachable endpoint as DependencyUnavailableError (callers fail open)', async () => {
    const dead = new UpstashRateLimiter({ url: 'http://127.0.0.1:9', token: 't', prefix: 'x:', timeoutMs: 500 });
    await expect(dead.take('k', { limit: 1, windowSeconds: 1 })).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

// The console's retry loop (src/lib/retry.ts): exponential backoff with full jitter, same
// request each time, stops on a non-retryable error, on the policy's attempts, or when
// stopped; the console's own policy retries until the server answers.
// Time and randomness are injected, so nothing here sleeps.
import { describe, expect, it } from "vitest";
import { backoffCeiling, defaultBackoffPolicy, fullJitterDelay, retryWithBackoff, type BackoffPolicy } from "../../src/lib/retry";

const policy: BackoffPolicy = { baseMs: 100, capMs: 1_000, maxAttempts: 5 };

interface TestError {
  code: string;
  retryable: boolean;
}
const toError = (e: unknown): TestError => e as TestError;
const noSleep = () => Promise.resolve();

describe("backoff", () => {
  it("doubles the ceiling after each failed attempt, up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, policy))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("full jitter waits anywhere from zero up to (not including) the ceiling", () => {
    expect(fullJitterDelay(3, policy, () => 0)).toBe(0);
    expect(fullJitterDelay(3, policy, () => 0.5)).toBe(200);
    expect(fullJitterDelay(3, policy, () => 0.999_999)).toBe(399);
    for (let i = 0; i < 200; i++) {
      const d = fullJitterDelay(4, policy);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });
});

describe("retryWithBackoff", () => {
  it("retries retryable failures with jittered waits until the call succeeds", async () => {
    const seen: number[] = [];
    const waits: number[] = [];
    const result = await retryWithBackoff(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw { code: "SIMULATED_FAILURE", retryable: true };
        return "ok";
      },
      { policy, toError, isRetryable: (e) => e.retryable, sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
    );
    expect(result).toMatchObject({ ok: true, value: "ok" });
    expect(seen).toEqual([1, 2, 3]);
    expect(waits).toEqual([50, 100]);
    expect(result.attempts.map((a) => [a.attempt, a.outcome, a.waitMs])).toEqual([
      [1, "retryable-error", 50],
      [2, "retryable-error", 100],
      [3, "success", undefined],
    ]);
  });

  it("does not retry an error the server says retrying will not fix", async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls++;
        throw { code: "INVALID_EVENT", retryable: false };
      },
      { policy, toError, isRetryable: (e) => e.retryable, sleep: noSleep },
    );
    expect(calls).toBe(1);
    expect(result).toMatchObject({ ok: false, retryable: false, error: { code: "INVALID_EVENT" } });
    expect(result.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: "fatal-error" })]);
    expect(result.attempts[0]?.waitMs).toBeUndefined();
  });

  it("gives up after the policy's number of attempts, reporting the last error", async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls++;
        throw { code: "DATABASE_UNAVAILABLE", retryable: true };
      },
      { policy, toError, isRetryable: (e) => e.retryable, sleep: noSleep },
    );
    expect(calls).toBe(policy.maxAttempts);
    expect(result).toMatchObject({ ok: false, retryable: true, error: { code: "DATABASE_UNAVAILABLE" } });
    expect(result.attempts.at(-1)?.waitMs).toBeUndefined();
  });

  it("reports each attempt as it starts and as it ends, in order", async () => {
    const events: string[] = [];
    await retryWithBackoff(
      async (attempt) => {
        if (attempt === 1) throw { code: "X", retryable: true };
        return attempt;
      },
      {
        policy,
        toError,
        isRetryable: (e) => e.retryable,
        sleep: noSleep,
        onAttemptStart: (n) => events.push(`start ${n}`),
        onAttempt: (r) => events.push(`end ${r.attempt} ${r.outcome}`),
      },
    );
    expect(events).toEqual(["start 1", "end 1 retryable-error", "start 2", "end 2 success"]);
  });

  it("the console's policy retries until the server answers, however long that takes", async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 50) throw { code: "DATABASE_UNAVAILABLE", retryable: true };
        return "ok";
      },
      { policy: defaultBackoffPolicy, toError, isRetryable: (e) => e.retryable, sleep: noSleep },
    );
    expect(result).toMatchObject({ ok: true, value: "ok" });
    expect(calls).toBe(50);
  });

  it("stops retrying when its signal aborts, during a wait", async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls++;
        throw { code: "DATABASE_UNAVAILABLE", retryable: true };
      },
      {
        policy: defaultBackoffPolicy,
        toError,
        isRetryable: (e) => e.retryable,
        signal: controller.signal,
        sleep: async () => {
          if (calls === 3) controller.abort();
        },
      },
    );
    expect(calls).toBe(3);
    expect(result).toMatchObject({ ok: false, retryable: true, error: { code: "DATABASE_UNAVAILABLE" } });
  });
});

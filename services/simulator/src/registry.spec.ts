import { createLogger, type HealthStatus } from '@slimstad/kit';
import { describe, expect, it } from 'vitest';
import { waitForIngest, waitForServing } from './registry.js';

const log = createLogger('simulator-test', 'silent');

describe('waitForIngest', () => {
  it('waits through errors and NOT_SERVING until ingest is SERVING', async () => {
    const answers: (HealthStatus | Error)[] = [new Error('UNAVAILABLE'), 'NOT_SERVING', 'SERVING'];
    let calls = 0;
    await waitForIngest({
      address: '127.0.0.1:1',
      timeoutMs: 5_000,
      pollMs: 1,
      log,
      check: async () => {
        const answer = answers[calls++]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    expect(calls).toBe(3);
  });

  it('gives up after the timeout, naming the last answer', async () => {
    await expect(
      waitForIngest({
        address: '127.0.0.1:1',
        timeoutMs: 30,
        pollMs: 5,
        log,
        check: async () => 'NOT_SERVING',
      }),
    ).rejects.toThrow(/not SERVING after \d+ s \(last answer: NOT_SERVING\).*INGEST_GRPC_ADDRESS/);
  });

  it('stops waiting when aborted', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    await expect(
      waitForIngest({
        address: '127.0.0.1:1',
        timeoutMs: 60_000,
        pollMs: 1_000,
        log,
        signal: abort.signal,
        check: async () => 'NOT_SERVING',
      }),
    ).rejects.toThrow(/stopped/);
  });
});

describe('waitForServing', () => {
  it('names the service and the variable that sets its address when it gives up', async () => {
    await expect(
      waitForServing({
        service: 'lighting',
        variable: 'LIGHTING_GRPC_ADDRESS',
        address: '127.0.0.1:1',
        timeoutMs: 20,
        pollMs: 5,
        log,
        check: async () => {
          throw new Error('connect ECONNREFUSED');
        },
      }),
    ).rejects.toThrow(
      /^lighting at 127\.0\.0\.1:1 is not SERVING .*ECONNREFUSED.*\(LIGHTING_GRPC_ADDRESS\)$/,
    );
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Shutdown } from './shutdown.js';

const log = pino({ level: 'silent' });

describe('Shutdown', () => {
  it('runs steps last-registered-first, once, even if one fails', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown(log, 1_000);
    shutdown.add('pool', () => {
      order.push('pool');
    });
    shutdown.add('nats', () => {
      order.push('nats');
      throw new Error('already closed');
    });
    shutdown.add('grpc', async () => {
      order.push('grpc');
    });
    expect(shutdown.started).toBe(false);
    await Promise.all([shutdown.run('SIGTERM'), shutdown.run('SIGINT')]);
    expect(shutdown.started).toBe(true);
    expect(order).toEqual(['grpc', 'nats', 'pool']);
  });

  it('rejects when the steps exceed the time bound', async () => {
    const shutdown = new Shutdown(log, 50);
    shutdown.add('stuck', () => new Promise(() => {}));
    await expect(shutdown.run('SIGTERM')).rejects.toThrow(/exceeded 50 ms/);
  });
});

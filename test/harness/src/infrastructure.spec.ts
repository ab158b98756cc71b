import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerAnswers } from './docker.js';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL, resolveInfrastructure } from './infrastructure.js';

describe('choosing the test servers', () => {
  it('uses DATABASE_URL and NATS_URL when both are set', async () => {
    const infra = await resolveInfrastructure({
      DATABASE_URL: 'postgres://db',
      NATS_URL: 'nats://bus',
    });
    expect(infra).toMatchObject({
      databaseUrl: 'postgres://db',
      natsUrl: 'nats://bus',
      source: 'environment',
    });
  });

  it('falls back to the local servers, fast, when no Docker engine answers', async () => {
    const started = Date.now();
    const infra = await resolveInfrastructure({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(infra).toMatchObject({
      databaseUrl: DEFAULT_DATABASE_URL,
      natsUrl: DEFAULT_NATS_URL,
      source: 'local-defaults',
    });
  });

  it('does not hang on a socket that accepts but never answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docker-'));
    const socket = join(dir, 'docker.sock');
    const silent = createServer(() => {}).listen(socket);
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${socket}`;
    try {
      const started = Date.now();
      expect(await dockerAnswers(300)).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      process.env.DOCKER_HOST = previous;
      silent.close();
    }
  });
});

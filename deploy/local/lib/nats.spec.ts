// NATS detection by the server's INFO greeting, and a nats-server started from PATH.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { resolveNats } from './infra.mjs';
import { findNatsServer, probeNats, startNatsServer } from './nats.mjs';
import { alive, freePort, tcpServer, tempDir } from './test-support.js';

const natsUrl = inject('natsUrl');
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('probeNats', () => {
  it('accepts the running NATS server with JetStream', async () => {
    const probe = await probeNats(natsUrl);
    expect(probe).toMatchObject({ ok: true });
    expect(probe.ok && probe.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses a closed loopback port at once', async () => {
    const started = Date.now();
    expect(await probeNats(`nats://127.0.0.1:${await freePort()}`)).toEqual({
      ok: false,
      reason: 'ECONNREFUSED',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a TCP server that sends garbage', async () => {
    const garbage = await tcpServer((socket) => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    cleanups.push(garbage.close);
    expect(await probeNats(`nats://127.0.0.1:${garbage.port}`)).toEqual({
      ok: false,
      reason: 'not a NATS server (no INFO greeting)',
    });
    const binary = await tcpServer((socket) => socket.write(Buffer.from([0, 1, 2, 3, 255])));
    cleanups.push(binary.close);
    expect(await probeNats(`nats://127.0.0.1:${binary.port}`)).toMatchObject({ ok: false });
  });

  it('refuses an INFO line that is not JSON, and NATS without JetStream', async () => {
    const notJson = await tcpServer((socket) => socket.write('INFO {nope\r\n'));
    const noJetStream = await tcpServer((socket) =>
      socket.write('INFO {"server_id":"x","version":"2.9.10","jetstream":false}\r\n'),
    );
    cleanups.push(notJson.close, noJetStream.close);
    expect(await probeNats(`nats://127.0.0.1:${notJson.port}`)).toEqual({
      ok: false,
      reason: 'not a NATS server (INFO is not JSON)',
    });
    expect(await probeNats(`127.0.0.1:${noJetStream.port}`)).toEqual({
      ok: false,
      reason: 'NATS 2.9.10 without JetStream (start nats-server with -js)',
    });
  });

  it('gives up on a silent server within its time limit', async () => {
    const silent = await tcpServer(() => {});
    cleanups.push(silent.close);
    const started = Date.now();
    expect(await probeNats(`nats://127.0.0.1:${silent.port}`, { timeoutMs: 300 })).toEqual({
      ok: false,
      reason: 'no INFO greeting within 300 ms',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('accepts a list of URLs when one of them answers', async () => {
    const closed = `nats://127.0.0.1:${await freePort()}`;
    expect(await probeNats(`${closed},${natsUrl}`)).toMatchObject({ ok: true, url: natsUrl });
  });
});

describe('nats-server from PATH', () => {
  it('is found on PATH (or in /usr/sbin), and not where it is absent', () => {
    expect(findNatsServer(), 'install nats-server (apt-get install nats-server)').toMatch(
      /nats-server$/,
    );
    expect(findNatsServer({ PATH: '' }, [])).toBeUndefined();
  });

  it('starts with JetStream on a free port in a temporary store, is detected, and stops', async () => {
    const store = tempDir('nats');
    cleanups.push(store.remove);
    const port = await freePort();
    const server = await startNatsServer({
      binary: findNatsServer()!,
      port,
      storeDir: store.dir,
    });
    cleanups.push(() => void server.stop(1_000));
    expect(server.url).toBe(`nats://127.0.0.1:${port}`);
    expect(await probeNats(server.url)).toMatchObject({ ok: true });
    expect(existsSync(join(store.dir, 'jetstream'))).toBe(true);
    expect(alive(server.pid)).toBe(true);

    expect(await server.stop()).toEqual({ forced: false });
    expect(alive(server.pid)).toBe(false);
    expect(await probeNats(server.url)).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
  });

  it('reports why when nats-server cannot start (port taken)', async () => {
    const taken = await tcpServer(() => {});
    cleanups.push(taken.close);
    const store = tempDir('nats-taken');
    cleanups.push(store.remove);
    await expect(
      startNatsServer({ binary: findNatsServer()!, port: taken.port, storeDir: store.dir }),
    ).rejects.toThrow(/nats-server (exited|did not answer)/);
  });
});

describe('resolveNats (the layers)', () => {
  it('uses the server on this machine when it answers', async () => {
    const state = tempDir('state');
    cleanups.push(state.remove);
    const nats = await resolveNats({ env: {}, stateDir: state.dir, defaultUrl: natsUrl });
    expect(nats).toMatchObject({ source: 'detected', url: natsUrl });
  });

  it('insists on an explicit NATS_URL that does not answer', async () => {
    const state = tempDir('state');
    cleanups.push(state.remove);
    await expect(
      resolveNats({
        env: { NATS_URL: `nats://127.0.0.1:${await freePort()}` },
        stateDir: state.dir,
      }),
    ).rejects.toThrow(/NATS_URL=.* does not answer as NATS with JetStream: ECONNREFUSED/);
  });

  it('starts nats-server when nothing answers, with its data in the state directory', async () => {
    const state = tempDir('state');
    cleanups.push(state.remove);
    const port = await freePort();
    const nats = await resolveNats({
      env: { SLIMSTAD_NATS_PORT: String(port) },
      stateDir: state.dir,
      defaultUrl: `nats://127.0.0.1:${port}`,
    });
    cleanups.push(() => void nats.stop());
    expect(nats).toMatchObject({ source: 'started', url: `nats://127.0.0.1:${port}` });
    expect(existsSync(join(state.dir, 'nats', 'jetstream'))).toBe(true);
    await nats.stop();
    expect(await probeNats(nats.url)).toMatchObject({ ok: false });
  });

  it('says what to install when there is neither a server nor a binary', async () => {
    const state = tempDir('state');
    cleanups.push(state.remove);
    await expect(
      resolveNats({
        env: {},
        stateDir: state.dir,
        defaultUrl: `nats://127.0.0.1:${await freePort()}`,
        findBinary: () => undefined,
      }),
    ).rejects.toThrow(/apt-get install nats-server.*or set NATS_URL/);
  });
});

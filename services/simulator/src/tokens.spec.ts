import { createTokenVerifier } from '@slimstad/kit';
import { describe, expect, it } from 'vitest';
import { TokenSource } from './tokens.js';

const KEY = 'simulator-test-secret-0123456789';

describe('TokenSource', () => {
  it('signs an operator token for subject simulator that the services accept', async () => {
    const token = await TokenSource.signed({
      key: KEY,
      issuer: 'slimstad',
      audience: 'slimstad',
    }).get();
    const verify = createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' });
    await expect(verify(token)).resolves.toEqual({ subject: 'simulator', roles: ['operator'] });
  });

  it('signs an admin token for seeding the lighting layout when asked', async () => {
    const token = await TokenSource.signed({
      key: KEY,
      issuer: 'slimstad',
      audience: 'slimstad',
      roles: ['admin'],
    }).get();
    const verify = createTokenVerifier({ key: KEY, issuer: 'slimstad', audience: 'slimstad' });
    await expect(verify(token)).resolves.toEqual({ subject: 'simulator', roles: ['admin'] });
  });

  it('keeps its token until half its lifetime, then signs a new one', async () => {
    let now = 0;
    let signed = 0;
    const source = new TokenSource(
      async () => `t${++signed}`,
      1_800_000,
      () => now,
    );
    expect(await source.get()).toBe('t1');
    now = 1_799_999;
    expect(await source.get()).toBe('t1');
    now = 1_800_000;
    expect(await source.get()).toBe('t2');
  });

  it('cannot sign with a public key, and says what to do instead', () => {
    expect(() =>
      TokenSource.signed({
        key: '-----BEGIN PUBLIC KEY-----\nMFkw…\n-----END PUBLIC KEY-----',
        issuer: 'slimstad',
        audience: 'slimstad',
      }),
    ).toThrow(/SIMULATOR_TOKEN/);
  });

  it('hands out a fixed token as it is', async () => {
    expect(await TokenSource.fixed('abc').get()).toBe('abc');
  });
});

// The development key and the admin token the launcher prints.
import { createHmac } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenVerifier } from '@slimstad/kit/grpc/auth';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevKey, signDevToken } from './auth.mjs';
import { tempDir } from './test-support.js';

const dirs: { remove: () => void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

const verifierFor = (key: string) =>
  createTokenVerifier({ key, issuer: 'slimstad', audience: 'slimstad' });

describe('development key', () => {
  it('is created once, random, mode 600, and then reused', () => {
    const tmp = tempDir('key');
    dirs.push(tmp);
    const file = join(tmp.dir, 'state', 'dev-jwt-key');
    const first = loadOrCreateDevKey(file);
    expect(first.created).toBe(true);
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDevKey(file)).toEqual({ key: first.key, created: false });
    expect(loadOrCreateDevKey(join(tmp.dir, 'other')).key).not.toBe(first.key);
  });

  it('tightens a key file left readable by others', () => {
    const tmp = tempDir('key');
    dirs.push(tmp);
    const file = join(tmp.dir, 'dev-jwt-key');
    writeFileSync(file, `${'k'.repeat(43)}\n`);
    chmodSync(file, 0o644);
    expect(loadOrCreateDevKey(file)).toEqual({ key: 'k'.repeat(43), created: false });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${'k'.repeat(43)}\n`);
  });
});

describe('development token', () => {
  it('verifies (HS256, jose via the kit) with the key: dev-operator, roles ["admin"]', async () => {
    const key = 'a-development-secret-of-enough-length-0123456789';
    const token = signDevToken({ key });
    expect(await verifierFor(key)(token)).toEqual({ subject: 'dev-operator', roles: ['admin'] });
  });

  it('is a plain HS256 JWT: header, claims iss/aud slimstad, 12 h lifetime, HMAC-SHA256 signature', () => {
    const key = 'another-development-secret-0123456789';
    const now = Date.UTC(2030, 0, 1);
    const token = signDevToken({ key, now });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const json = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    expect(json(header)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(json(payload)).toEqual({
      sub: 'dev-operator',
      roles: ['admin'],
      iss: 'slimstad',
      aud: 'slimstad',
      iat: now / 1000,
      exp: now / 1000 + 12 * 3600,
    });
    expect(signature).toBe(
      createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url'),
    );
  });

  it('is refused with another key, and once expired', async () => {
    const key = 'the-right-key-0123456789-0123456789';
    await expect(
      verifierFor(key)(signDevToken({ key: 'the-wrong-key-0123456789' })),
    ).rejects.toThrow(/signature/);
    const old = signDevToken({ key, now: Date.now() - 13 * 3600 * 1000 });
    await expect(verifierFor(key)(old)).rejects.toThrow(/expired/);
  });

  it('refuses to sign with a PEM key', () => {
    expect(() => signDevToken({ key: '-----BEGIN PUBLIC KEY-----\nabc' })).toThrow(/HS256/);
  });
});

// Development credentials for the local city: a random HS256 secret kept in .slimstad/ (never
// committed) and an admin token signed with it for the slimstad CLI. `jose` is a dependency of
// the kit, not of this package, so signing uses node:crypto; the tests verify the token with
// the kit's jose-based verifier.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The development key in `file`, created (32 random bytes, base64url, mode 600) when missing.
 * @returns {{ key: string, created: boolean }}
 */
export function loadOrCreateDevKey(file) {
  if (existsSync(file)) {
    // Someone may have copied it around with looser permissions: it is a credential.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 32) return { key, created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, created: true };
}

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An HS256 JWT with the claims the kit's verifier checks: sub, roles, iss, aud, iat, exp.
 * The key is used as UTF-8 bytes, as the kit does with AUTH_JWT_KEY.
 *
 * @param {{ key: string, subject?: string, roles?: readonly string[], issuer?: string, audience?: string, ttlSeconds?: number, now?: number }} options
 */
export function signDevToken({
  key,
  subject = 'dev-operator',
  roles = ['admin'],
  issuer = 'slimstad',
  audience = 'slimstad',
  ttlSeconds = 12 * 3600,
  now = Date.now(),
}) {
  if (!key || key.includes('-----BEGIN')) {
    throw new Error('signDevToken needs an HS256 shared secret, not a PEM key');
  }
  const iat = Math.floor(now / 1000);
  const header = base64url({ alg: 'HS256', typ: 'JWT' });
  const payload = base64url({
    sub: subject,
    roles: [...roles],
    iss: issuer,
    aud: audience,
    iat,
    exp: iat + ttlSeconds,
  });
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createTokenVerifier, effectiveRoles, hasAnyRole, signToken } from './auth.js';

const KEY = 'a-development-secret-of-reasonable-length';
const options = { key: KEY, issuer: 'slimstad', audience: 'slimstad' };

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('UNAUTHENTICATED');
  return error as AppError;
}

describe('roles', () => {
  it('admin implies every role; operator and bollard-operator imply only viewer', () => {
    expect([...effectiveRoles({ subject: 'a', roles: ['admin'] })].sort()).toEqual([
      'admin',
      'bollard-operator',
      'operator',
      'viewer',
    ]);
    expect([...effectiveRoles({ subject: 'o', roles: ['operator'] })].sort()).toEqual([
      'operator',
      'viewer',
    ]);
    expect([...effectiveRoles({ subject: 'b', roles: ['bollard-operator'] })].sort()).toEqual([
      'bollard-operator',
      'viewer',
    ]);
    expect(hasAnyRole({ subject: 'o', roles: ['operator'] }, ['bollard-operator'])).toBe(false);
    expect(hasAnyRole({ subject: 'b', roles: ['bollard-operator'] }, ['operator'])).toBe(false);
    expect(hasAnyRole({ subject: 'v', roles: ['viewer'] }, ['operator', 'viewer'])).toBe(true);
  });
});

describe('createTokenVerifier (HS256)', () => {
  const verify = createTokenVerifier(options);

  it('returns the subject and roles of a valid token', async () => {
    const token = await signToken({ key: KEY, subject: 'jan', roles: ['operator', 'viewer'] });
    await expect(verify(token)).resolves.toEqual({ subject: 'jan', roles: ['operator', 'viewer'] });
  });

  it('drops unknown role names instead of failing', async () => {
    const token = await new SignJWT({ roles: ['operator', 'superuser'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('jan')
      .setIssuer('slimstad')
      .setAudience('slimstad')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(KEY));
    await expect(verify(token)).resolves.toEqual({ subject: 'jan', roles: ['operator'] });
  });

  it('refuses expired tokens, other keys, other audiences and garbage without echoing the token', async () => {
    const expired = await signToken({
      key: KEY,
      subject: 'jan',
      roles: ['viewer'],
      expiresIn: -120,
    });
    expect((await refusal(verify(expired))).message).toMatch(/expired/);

    const otherKey = await signToken({
      key: 'another-secret-entirely-0123456789',
      subject: 'jan',
      roles: ['viewer'],
    });
    const badSignature = await refusal(verify(otherKey));
    expect(badSignature.message).toMatch(/signature/);
    expect(badSignature.message).not.toContain(otherKey);

    const otherAudience = await signToken({
      key: KEY,
      subject: 'jan',
      roles: ['viewer'],
      audience: 'elsewhere',
    });
    expect((await refusal(verify(otherAudience))).message).toMatch(/aud/);

    expect((await refusal(verify('not.a.jwt'))).message).toMatch(/malformed|not valid/);
  });

  it('refuses tokens without a subject or with a malformed roles claim', async () => {
    const sign = (claims: Record<string, unknown>, subject?: string) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('slimstad')
        .setAudience('slimstad')
        .setExpirationTime('5m');
      if (subject) jwt.setSubject(subject);
      return jwt.sign(new TextEncoder().encode(KEY));
    };
    expect((await refusal(verify(await sign({ roles: ['viewer'] })))).message).toMatch(/subject/);
    expect((await refusal(verify(await sign({ roles: 'admin' }, 'jan')))).message).toMatch(/roles/);
  });
});

describe('createTokenVerifier (public keys)', () => {
  it.each(['RS256', 'ES256'] as const)(
    'verifies %s tokens against a PEM public key',
    async (alg) => {
      const { publicKey, privateKey } = await generateKeyPair(alg);
      const pem = await exportSPKI(publicKey);
      // As it often arrives through an environment variable: with literal \n.
      const verify = createTokenVerifier({ ...options, key: pem.replace(/\n/g, '\\n') });
      const token = await new SignJWT({ roles: ['bollard-operator'] })
        .setProtectedHeader({ alg })
        .setSubject('marie')
        .setIssuer('slimstad')
        .setAudience('slimstad')
        .setExpirationTime('5m')
        .sign(privateKey);
      await expect(verify(token)).resolves.toEqual({
        subject: 'marie',
        roles: ['bollard-operator'],
      });

      // An HS256 token "signed" with the public key text must not pass (algorithm confusion).
      const confused = await signToken({ key: 'x'.repeat(40), subject: 'eve', roles: ['admin'] });
      expect((await refusal(verify(confused))).message).toMatch(/algorithm|signature/);
    },
  );
});

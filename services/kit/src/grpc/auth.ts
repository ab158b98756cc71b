// Bearer tokens and roles for every gRPC API. Tokens are JWTs verified with a shared HS256
// secret or a PEM public key (RS256/ES256); the `roles` claim grants roles, which imply others.
// Tokens are credentials: nothing here logs them or puts them in an error message.
import { createPublicKey } from 'node:crypto';
import { type CryptoKey, errors, importSPKI, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.js';

/**
 * The roles an operator's token can carry.
 * - `viewer`: reads (devices, readings, alerts, zones).
 * - `operator`: day-to-day control of lights, bins, alerts and devices; implies `viewer`.
 * - `bollard-operator`: raises and lowers retractable bollards and manages access permits;
 *   implies `viewer`. Kept apart from `operator` on purpose: a bollard moving at the wrong
 *   moment can injure someone or block an emergency vehicle, so that right is granted
 *   deliberately, to people trained for it, and never comes along with general operations.
 * - `admin`: everything, including every role above.
 */
export const ROLES = ['viewer', 'operator', 'bollard-operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The roles each role grants, itself included. */
const IMPLIES: Readonly<Record<Role, readonly Role[]>> = {
  viewer: ['viewer'],
  operator: ['operator', 'viewer'],
  'bollard-operator': ['bollard-operator', 'viewer'],
  admin: ROLES,
};

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Who is calling: the token's subject and the roles it was granted (as written in the token). */
export interface Principal {
  subject: string;
  roles: readonly Role[];
}

/** The principal of calls to `'public'` methods (health, reflection): no roles at all. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: 'anonymous',
  roles: Object.freeze([]) as readonly Role[],
});

/** Every role a principal holds once implications are applied. */
export function effectiveRoles(principal: Principal): Set<Role> {
  return new Set(principal.roles.flatMap((role) => IMPLIES[role]));
}

/** True when the principal holds at least one of `required` (directly or by implication). */
export function hasAnyRole(principal: Principal, required: readonly Role[]): boolean {
  const held = effectiveRoles(principal);
  return required.some((role) => held.has(role));
}

export interface TokenVerifierOptions {
  /** An HS256 shared secret, or a PEM public key (`-----BEGIN PUBLIC KEY-----`, RSA or P-256). */
  key: string;
  issuer: string;
  audience: string;
  /** Allowed clock skew between the token issuer and this host; 30 s unless told. */
  clockToleranceSeconds?: number;
}

/** Verifies a bearer token; rejects with AppError('UNAUTHENTICATED', <why>) when it is not acceptable. */
export type TokenVerifier = (token: string) => Promise<Principal>;

const PEM_PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----';

type VerificationKey = { key: CryptoKey | Uint8Array; algorithms: string[] };

/** Environment variables often carry a PEM with literal `\n`; restore the line breaks. */
const normalisePem = (pem: string) => pem.replace(/\\n/g, '\n').trim();

async function importVerificationKey(key: string): Promise<VerificationKey> {
  if (key.includes(PEM_PUBLIC_KEY)) {
    const pem = normalisePem(key);
    const info = createPublicKey(pem);
    let alg: string;
    if (info.asymmetricKeyType === 'rsa') alg = 'RS256';
    else if (
      info.asymmetricKeyType === 'ec' &&
      info.asymmetricKeyDetails?.namedCurve === 'prime256v1'
    )
      alg = 'ES256';
    else {
      throw new Error(
        `AUTH_JWT_KEY: unsupported public key (${info.asymmetricKeyType ?? 'unknown'}${info.asymmetricKeyDetails?.namedCurve ? ` ${info.asymmetricKeyDetails.namedCurve}` : ''}); use an RSA (RS256) or P-256 (ES256) key, or an HS256 secret`,
      );
    }
    return { key: await importSPKI(pem, alg), algorithms: [alg] };
  }
  if (key.trimStart().startsWith('-----BEGIN')) {
    throw new Error(
      'AUTH_JWT_KEY: a PEM key must be a public key (-----BEGIN PUBLIC KEY-----), never a private key',
    );
  }
  return { key: new TextEncoder().encode(key), algorithms: ['HS256'] };
}

/** Why a token was refused, in words that never include the token itself. */
function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'bearer token expired';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'bearer token signature is invalid (signed with another key?)';
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'bearer token is signed with an algorithm this service does not accept';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'bearer token is not valid yet (nbf)';
    return `bearer token ${error.claim} claim ${error.reason === 'missing' ? 'is missing' : 'is not accepted here'}`;
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'bearer token is malformed';
  if (error instanceof errors.JOSEError) return 'bearer token is not valid';
  return 'bearer token could not be verified';
}

function principalFrom(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new AppError('UNAUTHENTICATED', 'bearer token has no subject (sub claim)');
  }
  const claim = payload.roles ?? [];
  if (!Array.isArray(claim) || !claim.every((role) => typeof role === 'string')) {
    throw new AppError('UNAUTHENTICATED', 'bearer token roles claim must be an array of strings');
  }
  // Unknown role names (from a newer issuer, say) grant nothing rather than failing the call.
  return { subject: payload.sub, roles: claim.filter(isRole) };
}

/**
 * Creates the verifier every gRPC server uses.
 *
 * @example
 * const verify = createTokenVerifier({ key: config.AUTH_JWT_KEY, issuer: config.AUTH_JWT_ISSUER, audience: config.AUTH_JWT_AUDIENCE });
 * const principal = await verify(token); // { subject: 'jan', roles: ['operator'] }
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // Import once; a bad key fails the first verification loudly (and, below, start-up too).
  const imported = importVerificationKey(options.key);
  imported.catch(() => undefined);
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  return async (token: string) => {
    const { key, algorithms } = await imported;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        clockTolerance,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw new AppError('UNAUTHENTICATED', describeFailure(error));
    }
    return principalFrom(payload);
  };
}

/** Checks a verification key up front so a misconfigured AUTH_JWT_KEY stops start-up. */
export async function assertVerificationKey(key: string): Promise<void> {
  await importVerificationKey(key);
}

export interface SignTokenOptions {
  /** The HS256 shared secret (AUTH_JWT_KEY). */
  key: string;
  subject: string;
  roles: readonly Role[];
  issuer?: string;
  audience?: string;
  /** Lifetime: a timespan such as `'8h'`, `'30m'`, or seconds from now (negative: already expired). */
  expiresIn?: string | number;
}

/**
 * Signs an HS256 token, for development, demos and tests. Production tokens come from the
 * city's identity provider, verified with its public key.
 *
 * @example
 * const token = await signToken({ key: 'dev-secret', subject: 'jan', roles: ['operator'], expiresIn: '8h' });
 */
export async function signToken(options: SignTokenOptions): Promise<string> {
  if (options.key.includes('-----BEGIN')) {
    throw new Error(
      'signToken signs with an HS256 shared secret only; pass the secret, not a PEM key',
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = options.expiresIn ?? '1h';
  return new SignJWT({ roles: [...options.roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer ?? 'slimstad')
    .setAudience(options.audience ?? 'slimstad')
    .setIssuedAt(typeof expiresIn === 'number' && expiresIn < 0 ? now + expiresIn - 60 : now)
    .setExpirationTime(typeof expiresIn === 'number' ? now + expiresIn : expiresIn)
    .sign(new TextEncoder().encode(options.key));
}

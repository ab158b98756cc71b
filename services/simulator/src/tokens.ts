// The simulator's own bearer tokens: for ingest's API role operator (it imports devices and
// pushes readings), for lighting's role admin (it seeds the demo zones, lamps and profiles);
// signed with the city's HS256 key, or given ready-made by SIMULATOR_TOKEN where an identity
// provider issues tokens. Renewed at half their lifetime.
import { type Role, signToken } from '@slimstad/kit';

export const TOKEN_SUBJECT = 'simulator';
const LIFETIME_S = 3600;

export class TokenSource {
  private token: string | undefined;
  private renewAt = 0;

  constructor(
    private readonly sign: () => Promise<string>,
    private readonly renewAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Signs tokens with `key` (HS256), subject `simulator`, role operator (or `roles`), valid one hour. */
  static signed(options: {
    key: string;
    issuer: string;
    audience: string;
    roles?: Role[];
  }): TokenSource {
    if (options.key.includes('-----BEGIN')) {
      throw new Error(
        'AUTH_JWT_KEY is a public key, so the simulator cannot sign its own token: set SIMULATOR_TOKEN to an operator token from the identity provider',
      );
    }
    return new TokenSource(
      () =>
        signToken({
          key: options.key,
          subject: TOKEN_SUBJECT,
          roles: options.roles ?? ['operator'],
          issuer: options.issuer,
          audience: options.audience,
          expiresIn: LIFETIME_S,
        }),
      (LIFETIME_S * 1000) / 2,
    );
  }

  /** Always the same token (SIMULATOR_TOKEN). */
  static fixed(token: string): TokenSource {
    return new TokenSource(async () => token, Number.POSITIVE_INFINITY);
  }

  async get(): Promise<string> {
    if (this.token === undefined || this.now() >= this.renewAt) {
      this.token = await this.sign();
      this.renewAt = this.now() + this.renewAfterMs;
    }
    return this.token;
  }
}

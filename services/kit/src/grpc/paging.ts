// Cursor paging of List methods (AIP-158 style): an opaque token naming the last id of the page,
// and the page size the server grants.
import { invalidArgument } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Tokens for one kind of item: `encode(lastId)`, `decode(token)` → the id to continue after. */
export function pageTokens(kind: string) {
  const prefix = `${kind}:`;
  return {
    encode: (id: string) => Buffer.from(`${prefix}${id}`).toString('base64url'),
    decode(token: string): string | undefined {
      if (!token) return undefined;
      const decoded = Buffer.from(token, 'base64url').toString();
      if (!decoded.startsWith(prefix)) {
        throw invalidArgument('bad page token', [
          { field: 'page.page_token', description: 'is not a token this API issued' },
        ]);
      }
      return decoded.slice(prefix.length);
    },
  };
}

/** The page size granted for a request's `page_size`: the default for 0, capped, never an error. */
export function pageSize(requested: number | undefined): number {
  return Math.min(MAX_PAGE_SIZE, requested && requested > 0 ? requested : DEFAULT_PAGE_SIZE);
}

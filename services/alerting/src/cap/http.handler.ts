// The public CAP endpoints as a node:http request handler: `GET <base>/feed.atom` (Atom feed of
// the current messages) and `GET <base>/<identifier>.xml` (one message). Strong ETags over the
// body bytes with If-None-Match → 304, so aggregators polling every minute cost a hash, not a
// download. Data comes from the caller's lookup functions; no store here.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ATOM_CONTENT_TYPE, type AtomFeedOptions, renderAtomFeed } from './atom.js';
import { CAP_CONTENT_TYPE, type CapAlert, renderCapXml } from './message.js';

export interface CapHttpOptions {
  /** Path prefix; default `/cap`. */
  basePath?: string;
  /** The current messages for the feed (active warnings and recent cancels). */
  current: () => Promise<readonly CapAlert[]> | readonly CapAlert[];
  /** One message by identifier: the model (rendered here) or its stored XML, as sent. */
  lookup: (
    identifier: string,
  ) => Promise<CapAlert | string | undefined> | CapAlert | string | undefined;
  /** Feed metadata; `capUrl` defaults to `<publicBaseUrl><basePath>/<identifier>.xml`. */
  feed: Omit<AtomFeedOptions, 'capUrl' | 'selfUrl'> & { publicBaseUrl: string };
  /** `Cache-Control` max-age, seconds; default 60. */
  maxAgeSec?: number;
}

/** A strong ETag of the body bytes. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header matches `etag` (weak comparison, RFC 9110 §13.1.2). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => strip(t) === strip(etag));
}

/**
 * `(req, res) => Promise<boolean>`: true when it answered, false when the path is not its own
 * (so it can sit beside `/metrics`). When a lookup throws, it answers 500 and then rejects
 * with the error, for the caller to log.
 */
export function createCapHttpHandler(options: CapHttpOptions) {
  const base = (options.basePath ?? '/cap').replace(/\/$/, '');
  const publicBase = options.feed.publicBaseUrl.replace(/\/$/, '');
  const capUrl = (id: string) => `${publicBase}${base}/${encodeURIComponent(id)}.xml`;
  const feedOptions: AtomFeedOptions = {
    ...options.feed,
    capUrl,
    selfUrl: `${publicBase}${base}/feed.atom`,
  };
  const cacheControl = `public, max-age=${options.maxAgeSec ?? 60}`;

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    etag?: string,
  ) => {
    const headers: Record<string, string | number> = { 'content-type': `${type}; charset=utf-8` };
    if (etag) Object.assign(headers, { etag, 'cache-control': cacheControl });
    if (etag && ifNoneMatchHits(req.headers['if-none-match'], etag)) {
      res.writeHead(304, { etag, 'cache-control': cacheControl }).end();
      return;
    }
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return true;
    }
    try {
      if (path === `${base}/feed.atom`) {
        const body = renderAtomFeed(await options.current(), feedOptions);
        send(req, res, 200, ATOM_CONTENT_TYPE, body, etagOf(body));
        return true;
      }
      const m = /^\/([^/]+)\.xml$/.exec(path.slice(base.length));
      if (m) {
        let identifier: string;
        try {
          identifier = decodeURIComponent(m[1]!);
        } catch {
          send(req, res, 400, 'text/plain', 'bad identifier encoding\n');
          return true;
        }
        const found = await options.lookup(identifier);
        if (found === undefined) {
          send(req, res, 404, 'text/plain', `no CAP message ${identifier}\n`);
          return true;
        }
        const body = typeof found === 'string' ? found : renderCapXml(found);
        send(req, res, 200, CAP_CONTENT_TYPE, body, etagOf(body));
        return true;
      }
      send(req, res, 404, 'text/plain', 'not found\n');
      return true;
    } catch (error) {
      if (!res.headersSent) send(req, res, 500, 'text/plain', 'internal error\n');
      throw error;
    }
  };
}

// The CAP feed and message endpoints over real HTTP on a free loopback port: content types,
// Atom entry fields, ETag / If-None-Match, 404/405, HEAD.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCapHttpHandler, ifNoneMatchHits } from '../src/cap/http.handler.js';
import { type CapAlert, referenceTo, renderCapXml } from '../src/cap/message.js';
import { parseCapXml } from '../src/cap/parse.js';
import { CAP_SCHEMA, floodWarning, xmllint } from './cap-fixtures.js';

const v1 = floodWarning(1, 'active');
const v2 = floodWarning(2, 'active', [referenceTo(v1)]);
const storedXml = renderCapXml(v1);
let current: CapAlert[] = [v2];
const messages = new Map<string, CapAlert | string>([
  [v1.identifier, storedXml],
  [v2.identifier, v2],
]);

let server: Server;
let base: string;
beforeAll(async () => {
  const handle = createCapHttpHandler({
    current: async () => current,
    lookup: async (id) => messages.get(id),
    feed: {
      id: 'https://alerts.breda.example/cap/feed.atom',
      title: 'Breda — public warnings',
      author: 'Gemeente Breda',
      publicBaseUrl: 'https://alerts.breda.example',
      emptyUpdated: new Date('2026-12-01T00:00:00Z'),
    },
  });
  server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(418).end();
      })
      .catch(() => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const atom = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (n) => ['entry', 'category', 'link'].includes(n),
});

describe('CAP over HTTP', () => {
  it('serves the Atom feed with entries linking to the CAP XML', async () => {
    current = [v1, v2];
    const res = await fetch(`${base}/cap/feed.atom`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const body = await res.text();
    expect((await xmllint(body)).ok).toBe(true);
    const feed = atom.parse(body).feed;
    expect(feed.xmlns).toBe('http://www.w3.org/2005/Atom');
    expect(feed.title).toBe('Breda — public warnings');
    expect(feed.updated).toBe(v2.sent);
    expect(feed.link[0]).toMatchObject({
      rel: 'self',
      href: 'https://alerts.breda.example/cap/feed.atom',
    });
    expect(feed.entry).toHaveLength(2);
    const [newest, older] = feed.entry;
    const url = `https://alerts.breda.example/cap/${v2.identifier}.xml`;
    expect(newest).toMatchObject({
      id: url,
      updated: v2.sent,
      title: 'Flood warning: Mark above 4 m at the Haven',
      summary: 'The Mark is at 4.2 m & rising; quays may flood tonight.',
    });
    expect(newest.link[0]).toMatchObject({
      rel: 'alternate',
      type: 'application/cap+xml',
      href: url,
    });
    expect(newest.category.map((c: { term: string }) => c.term)).toEqual([
      'Flood warning',
      'Met',
      'Env',
    ]);
    expect(older.id).toBe(`https://alerts.breda.example/cap/${v1.identifier}.xml`);
  });

  it('serves each CAP message as application/cap+xml, schema-valid, stored XML verbatim', async () => {
    const res = await fetch(`${base}/cap/${encodeURIComponent(v2.identifier)}.xml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/cap+xml; charset=utf-8');
    const body = await res.text();
    expect((await xmllint(body, { schema: CAP_SCHEMA })).ok).toBe(true);
    expect(parseCapXml(body)).toEqual(v2);
    const stored = await fetch(`${base}/cap/${v1.identifier}.xml`);
    expect(await stored.text()).toBe(storedXml);
  });

  it('answers If-None-Match with 304 and changes the ETag when the feed changes', async () => {
    current = [v2];
    const first = await fetch(`${base}/cap/feed.atom`);
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    const again = await fetch(`${base}/cap/feed.atom`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const weakList = await fetch(`${base}/cap/feed.atom`, {
      headers: { 'if-none-match': `"other", W/${etag}` },
    });
    expect(weakList.status).toBe(304);
    current = [v1, v2];
    const changed = await fetch(`${base}/cap/feed.atom`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    await changed.arrayBuffer();
    const msg = await fetch(`${base}/cap/${v2.identifier}.xml`);
    const msgEtag = msg.headers.get('etag')!;
    await msg.arrayBuffer();
    expect(
      (await fetch(`${base}/cap/${v2.identifier}.xml`, { headers: { 'if-none-match': msgEtag } }))
        .status,
    ).toBe(304);
  });

  it('404 for unknown messages and paths, 405 for other methods, HEAD without a body, other paths left alone', async () => {
    const missing = await fetch(`${base}/cap/nope.xml`);
    expect([missing.status, await missing.text()]).toEqual([404, 'no CAP message nope\n']);
    expect((await fetch(`${base}/cap/other`)).status).toBe(404);
    const post = await fetch(`${base}/cap/feed.atom`, { method: 'POST', body: 'x' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(`${base}/cap/feed.atom`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/metrics`)).status).toBe(418);
    expect((await fetch(`${base}/cap/%E0%A4%A.xml`)).status).toBe(400);
  });

  it('If-None-Match parsing', () => {
    expect(ifNoneMatchHits('*', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b", "a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"a"')).toBe(false);
  });
});

// The public HTTP side: the Atom feed of CAP 1.2 warnings (`/cap/feed.atom`) and each message
// as sent (`/cap/<identifier>.xml`), served by cap/'s handler from the stored messages.
import { createServer, type Server } from 'node:http';
import type { Clock, Logger } from '@slimstad/kit';
import { createCapHttpHandler, parseCapXml } from '../cap/index.js';
import type { Db } from '../store/db.js';
import { capXml, currentCapXml } from '../store/directory.repository.js';

export async function startFeedServer(o: {
  db: Db;
  clock: Clock;
  log: Logger;
  port: number;
  host: string;
  publicBaseUrl: string;
  municipalityCode: string;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const handle = createCapHttpHandler({
    current: async () =>
      (await currentCapXml(o.db, o.clock.now(), 24 * 3_600_000)).map((xml) => parseCapXml(xml)),
    lookup: (identifier) => capXml(o.db, identifier),
    feed: {
      id: `${o.publicBaseUrl.replace(/\/$/, '')}/cap/feed.atom`,
      title: `Public warnings — ${o.municipalityCode}`,
      author: `Slimstad ${o.municipalityCode}`,
      publicBaseUrl: o.publicBaseUrl,
      emptyUpdated: new Date(0),
    },
  });
  const server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (!handled)
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      })
      .catch((error: unknown) => {
        o.log.error({ err: error }, 'feed request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  o.log.info({ port }, 'CAP feed serving');
  return { server, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

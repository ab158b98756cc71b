// One embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) served over the
// PostgreSQL wire protocol on a loopback port. Runs as its own process, started by pglite.mjs:
//
//   node pglite-server.mjs serve <dataDir> <port> <maxConnections>
//     prints one JSON line {"ready":true,"port":…} once it listens; stops cleanly on SIGTERM,
//     SIGINT or when its stdin closes (the launcher died).
//   node pglite-server.mjs init <dataDir>
//     creates the data directory (initdb), closes it cleanly and exits.
//
// Its own process because PGlite runs on the JavaScript thread: a statement it cannot handle
// (COPY FROM STDIN over the socket) can spin it forever, and that must not freeze the launcher.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const [mode, dataDir, portArg, maxArg] = process.argv.slice(2);

if (mode === 'init' && dataDir) {
  const db = await PGlite.create(dataDir);
  await db.close();
  process.exit(0);
} else if (mode === 'serve' && dataDir && portArg) {
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: Number(portArg),
    // The server multiplexes these connections over PGlite's one session (default: 1, and
    // Node drops connections beyond it). A service's pool (10 by default) plus tools fit.
    maxConnections: Number(maxArg ?? 64),
  });
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    try {
      await server.stop();
      await db.close();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`closing PGlite failed: ${error.message}\n`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  try {
    await server.start();
  } catch (error) {
    process.stderr.write(`cannot listen on 127.0.0.1:${portArg}: ${error.message}\n`);
    await db.close();
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ ready: true, port: Number(portArg) })}\n`);
} else {
  process.stderr.write(
    'usage: pglite-server.mjs serve <dataDir> <port> [maxConnections] | init <dataDir>\n',
  );
  process.exit(2);
}

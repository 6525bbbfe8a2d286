import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createApi } from '../../core/api/handlers.ts';
import { isLoopback, startServer } from '../../server/server.ts';
import { dataDirFrom, numberOption, parse, printJson, runtimeFrom, RUNTIME_OPTIONS, UsageError } from '../args.ts';

export const SERVE_HELP = `Usage: foley serve [--port N] [--host H] [--token T] [--data-dir DIR] [--json]

Serves the desktop app's interface and its API (JSON over HTTP, progress as server-sent events) on
127.0.0.1, backed by the same library as the CLI. Every request needs the token: open the printed URL
(it carries ?token= once and sets a cookie), or send "Authorization: Bearer TOKEN". The token is
random unless given with --token or FOLEY_TOKEN (at least 16 characters). --host other than loopback
exposes the library to the network and refuses to start without an explicit token.

API: GET /api/status, POST /api/search?in=visual|audio|both&top=N (body: the query file, its
Content-Type audio/*, video/* or image/*; or a JSON search request), POST /api/call/METHOD (JSON),
GET /api/events (server-sent events), GET /api/media/file/PATH and /api/media/thumb/FILE/MS.png
(files inside the library folders only).

Options: --port N (default 0: a free port), --provider, --threads, --help`;

export async function serveCommand(argv: readonly string[]): Promise<void> {
  const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' }, ...RUNTIME_OPTIONS });
  if (values.help === true) {
    console.log(SERVE_HELP);
    return;
  }
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  const port = numberOption('port', values.port, { min: 0, integer: true }) ?? 0;
  if (port > 65535) throw new UsageError('--port must be at most 65535');
  const given = typeof values.token === 'string' ? values.token : process.env.FOLEY_TOKEN !== undefined && process.env.FOLEY_TOKEN !== '' ? process.env.FOLEY_TOKEN : undefined;
  if (!isLoopback(host) && given === undefined) {
    throw new UsageError(`--host ${host} is not loopback: the library would be reachable from the network, so give a token with --token (or FOLEY_TOKEN)`);
  }
  if (given !== undefined && given.length < 16) throw new UsageError('--token must be at least 16 characters');
  const token = given ?? randomBytes(24).toString('base64url');
  const rendererDir = path.join(import.meta.dirname, '..', '..', 'renderer', 'dist');
  if (!existsSync(path.join(rendererDir, 'index.html'))) console.error('foley serve: the interface is not built (npm run build:renderer); only the API is served');
  const api = createApi({ dataDir: dataDirFrom(values), ...runtimeFrom(values) });
  const server = await startServer({ api, token, host, port, rendererDir });
  const url = `${server.url}?token=${encodeURIComponent(token)}`;
  if (values.json === true) printJson({ url, port: server.port, token });
  else console.log(`Foley is serving on ${url}\n(Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await api.close();
}

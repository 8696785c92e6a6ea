// The server side of `creates.ts`, run as its child process with plain `node` (no tsx, no
// `@peapod/source` condition), so that `@peapod/apiserver` and its dependencies load from their
// built `dist/` JavaScript, as `peapod up` and the published packages run them.
//
//   node serve.mjs peapod|bare <dir>
//
// `peapod`: the API server over a sqlite store in <dir>; `bare`: the floor, a bare Node HTTPS
// server with the certificate `peapod` created in <dir>/pki (start `peapod` first) that parses the
// body and answers 201 with it. Sends { url } once listening (`peapod`: with its CA and admin
// token); answers 'cpu' with this process's CPU time (user + system, all threads, µs); 'exit'
// closes and exits.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { RealClock } from '@peapod/core';
import { createSqliteStore } from '@peapod/store';
import { startApiServer } from '@peapod/apiserver';

const [kind, dir] = process.argv.slice(2);
let close;
if (kind === 'peapod') {
  const store = createSqliteStore(join(dir, 'state.db'));
  const server = await startApiServer({ port: 0, pkiDir: join(dir, 'pki'), rateLimit: { qps: 1e9, burst: 1e9 } }, { store, clock: new RealClock() });
  close = async () => { await server.close(); await store.close(); };
  process.send({ url: server.url, ca: server.caCert, token: server.adminToken });
} else {
  const tls = { cert: await readFile(join(dir, 'pki', 'apiserver.crt')), key: await readFile(join(dir, 'pki', 'apiserver.key')) };
  const bare = createServer(tls, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      // With its length, as the API server answers (the load generator reads Content-Length answers).
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }).end(text);
    });
  });
  await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => { bare.closeAllConnections(); bare.close(resolve); });
  process.send({ url: `https://127.0.0.1:${bare.address().port}` });
}
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send({ cpu: u.user + u.system });
  } else if (m === 'exit') {
    void close().then(() => process.exit(0));
  }
});

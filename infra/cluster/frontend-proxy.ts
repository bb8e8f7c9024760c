/**
 * The frontend balancer: one loopback address for clients in front of every Temporal server's
 * frontend, as a load balancer is in production. Plain TCP (gRPC passes through unchanged); each
 * new connection goes to the next backend in turn, and to the one after when that refuses, so a
 * dead server costs clients one reconnect.
 *
 *   tsx infra/cluster/frontend-proxy.ts <listen host:port> <backend host:port>...
 */
import net from 'node:net';

const [listen, ...backends] = process.argv.slice(2);
if (!listen || backends.length === 0) {
  console.error('usage: frontend-proxy.ts <listen host:port> <backend host:port>...');
  process.exit(2);
}
const split = (a: string) => ({
  host: a.slice(0, a.lastIndexOf(':')),
  port: Number(a.slice(a.lastIndexOf(':') + 1)),
});
let next = 0;

function connect(client: net.Socket, first: number, tried: number): void {
  if (tried >= backends.length) {
    client.destroy();
    return;
  }
  const target = backends[(first + tried) % backends.length]!;
  const upstream = net.connect(split(target));
  upstream.once('connect', () => {
    upstream.setNoDelay(true);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.resume();
  });
  upstream.once('error', (err) => {
    if (upstream.readyState === 'opening' || !upstream.remoteAddress) connect(client, first, tried + 1);
    else console.error(`${target}: ${err.message}`);
  });
}

const server = net.createServer({ pauseOnConnect: true }, (client) => {
  client.setNoDelay(true);
  const first = next;
  next = (next + 1) % backends.length;
  connect(client, first, 0);
});
const { host, port } = split(listen);
server.listen(port, host, () => console.log(`frontend balancer on ${listen} → ${backends.join(', ')}`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));

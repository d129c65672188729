// The example app: counts visits in Redis (RESP over a plain socket) and asks
// Postgres for the time (the simple-query protocol, trust auth), with no npm
// dependencies so the stock node image runs it as is.
'use strict';
const http = require('node:http');
const net = require('node:net');

const PORT = Number(process.env.PORT || 8080);

function redisIncr(key) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(6379, process.env.REDIS_HOST || 'cache');
    let buf = '';
    sock.setTimeout(3000, () => sock.destroy(new Error('redis timeout')));
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n');
      if (end === -1) return;
      sock.end();
      if (buf[0] === ':') resolve(Number(buf.slice(1, end)));
      else reject(new Error(`redis: ${buf.slice(0, end)}`));
    });
    sock.write(`*2\r\n$4\r\nINCR\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`);
  });
}

function pgNow() {
  return new Promise((resolve, reject) => {
    const sock = net.connect(5432, process.env.PGHOST || 'db');
    sock.setTimeout(3000, () => sock.destroy(new Error('postgres timeout')));
    sock.on('error', reject);
    const params = Buffer.from(`user\0${process.env.PGUSER || 'postgres'}\0database\0${process.env.PGDATABASE || 'postgres'}\0\0`);
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4); // protocol 3.0
    sock.write(Buffer.concat([startup, params]));
    let buf = Buffer.alloc(0);
    let sentQuery = false;
    let value;
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5) {
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (type === 'R' && body.readInt32BE(0) !== 0) return fail('postgres wants a password; the example uses trust auth');
        if (type === 'E') return fail(`postgres: ${body.toString().replace(/\0/g, ' ').trim()}`);
        if (type === 'D') {
          const n = body.readInt32BE(2);
          value = body.subarray(6, 6 + n).toString();
        }
        if (type === 'Z') {
          if (!sentQuery) {
            sentQuery = true;
            const q = Buffer.from('SELECT now()::text\0');
            const head = Buffer.alloc(5);
            head.write('Q');
            head.writeInt32BE(4 + q.length, 1);
            sock.write(Buffer.concat([head, q]));
          } else {
            sock.end(Buffer.from([0x58, 0, 0, 0, 4]));
            return resolve(value);
          }
        }
      }
    });
    function fail(msg) {
      sock.destroy();
      reject(new Error(msg));
    }
  });
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200).end('ok\n');
    return;
  }
  try {
    const [visits, now] = await Promise.all([redisIncr('visits'), pgNow()]);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`Hello from tsc-compose! visits=${visits} postgres-time=${now}\n`);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`error: ${err.message}\n`);
  }
});

server.listen(PORT, () => console.log(`listening on :${PORT}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));

// The Socket.IO half of the soak: CLIENTS chat clients join one room on /chat and each
// sends a message a second (the per-socket flood limit) for the whole run, with the real
// socket.io-client. Every send must be acknowledged with `ok: true`; a refusal, a lost
// ack or a dropped connection counts as an error and makes the exit status 1.
//
//   node bench/soak/socket-load.mjs BASE_URL ACCESS_TOKEN SECONDS

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../tests/realtime/package.json'));
const { io } = require('socket.io-client');

const [base, token, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText ?? 60);
const CLIENTS = Number(process.env.SOAK_SOCKETS ?? 20);
const ACK_MS = 5_000;

let sent = 0;
let acked = 0;
let errors = 0;
let received = 0;
const firstErrors = [];
const fail = (what) => {
  errors++;
  if (firstErrors.length < 5) firstErrors.push(what);
};

function client(index) {
  return new Promise((resolve) => {
    const socket = io(`${base}/chat`, { auth: { token }, transports: ['websocket'], reconnection: false });
    socket.on('message', () => received++);
    socket.on('connect_error', (error) => {
      fail(`client ${index} could not connect: ${error.message}`);
      resolve(null);
    });
    socket.on('connect', async () => {
      const joined = await socket.timeout(ACK_MS).emitWithAck('join', { room: 'soak' }).catch((e) => ({ ok: false, error: String(e) }));
      if (!joined?.ok) fail(`client ${index} could not join: ${JSON.stringify(joined)}`);
      resolve(socket);
    });
  });
}

const sockets = (await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)))).filter(Boolean);
const deadline = Date.now() + seconds * 1000;
await Promise.all(
  sockets.map(async (socket, index) => {
    socket.on('disconnect', (reason) => {
      if (Date.now() < deadline) fail(`client ${index} dropped: ${reason}`);
    });
    let n = 0;
    while (Date.now() < deadline) {
      const started = Date.now();
      sent++;
      const ack = await socket
        .timeout(ACK_MS)
        .emitWithAck('send', { room: 'soak', body: `message ${n++} from client ${index}` })
        .catch((e) => ({ ok: false, error: String(e) }));
      if (ack?.ok) acked++;
      else fail(`client ${index} send refused: ${JSON.stringify(ack)}`);
      // One a second per socket: what the flood limit allows after the burst.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_050 - (Date.now() - started))));
    }
  }),
);
for (const socket of sockets) socket.close();
console.log(`socket.io: clients=${sockets.length}/${CLIENTS} sent=${sent} acked=${acked} broadcasts_received=${received} errors=${errors}`);
for (const line of firstErrors) console.log(`socket.io: ${line}`);
process.exit(errors === 0 && sockets.length === CLIENTS ? 0 : 1);

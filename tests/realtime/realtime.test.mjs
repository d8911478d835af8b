// Backend Dojo's Socket.IO server (topics 24 and 25) as Node developers meet it: the real
// `socket.io-client` from npm against a fresh `dojo sandbox`, over long polling and over
// WebSocket. Notifications: the handshake refuses a missing or bad token with
// `connect_error`, a notification fired over HTTP reaches its user's sockets and no one
// else's. Chat: acks carry the stored message, retries are idempotent, history pages over
// HTTP and the socket, typing and presence reach a second client, floods are refused.
//
// DOJO_BIN names the built `dojo` binary (default: the debug build in the shared target).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';

const DOJO_BIN =
  process.env.DOJO_BIN ?? join(homedir(), '.cache/backend-dojo/target/debug/dojo');
/** How long anything that should happen at once may take. */
const DEADLINE_MS = 10_000;
const PASSWORD = 'correct-horse-battery';

let sandbox;
let baseUrl;
const sockets = [];

/// Starts `dojo sandbox` on a free port; resolves with the process and its base URL once it prints it.
function startSandbox() {
  // Logins and demo requests come from one client: a limit above what the tests send keeps
  // the HTTP rate limiter out of the way. (Socket.IO's own requests never meet it.)
  const child = spawn(DOJO_BIN, ['sandbox', '--port', '0', '--rate-limit', '1000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOJO_TOOLING_TOKEN: randomBytes(24).toString('hex') },
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/Backend Dojo sandbox: (http:\/\/[^\s/]+)\//);
      if (match) {
        child.stdout.off('data', onData);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`dojo sandbox exited (${code}) before it listened:\n${output}`)));
  });
}

before(async () => {
  const started = await startSandbox();
  sandbox = started.child;
  baseUrl = started.url;
});

after(async () => {
  for (const socket of sockets) socket.disconnect();
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((resolve) => sandbox.once('exit', resolve));
    sandbox.kill('SIGTERM');
    await exited;
  }
});

/** Rejects after the deadline, naming what never happened. */
function within(promise, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function http(method, path, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function login(email) {
  const { status, body } = await http('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  assert.equal(status, 200, JSON.stringify(body));
  return body.access_token;
}

/** A socket.io-client socket, as an app would open it; never reconnects by itself here. */
function open(namespace, auth, options = {}) {
  const socket = io(`${baseUrl}${namespace}`, {
    auth,
    forceNew: true,
    reconnection: false,
    ...options,
  });
  sockets.push(socket);
  return socket;
}

/** Resolves once connected, rejects with the `connect_error`. */
function connected(socket) {
  return within(
    new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    }),
    'connect',
  );
}

async function connect(namespace, token, options) {
  return connected(open(namespace, { token }, options));
}

/** The next `event` the socket receives. */
function next(socket, event) {
  return within(new Promise((resolve) => socket.once(event, resolve)), `a ${event} event`);
}

function ack(socket, event, payload) {
  return within(socket.emitWithAck(event, payload), `the ack of ${event}`);
}

test('the handshake refuses a missing or bad token with connect_error', async () => {
  for (const transports of [['polling'], ['websocket']]) {
    const missing = open('/', {}, { transports });
    const error = await within(
      new Promise((resolve) => missing.once('connect_error', resolve)),
      'connect_error',
    );
    assert.match(error.message, /^unauthorized: no token/);
    assert.equal(missing.connected, false);

    const bad = open('/', { token: 'abc' }, { transports });
    await assert.rejects(connected(bad), /^Error: unauthorized: malformed token/);

    const chat = open('/chat', { token: 'abc.def.ghi' }, { transports });
    await assert.rejects(connected(chat), /^Error: unauthorized: malformed token/);
  }
});

test('a valid token connects over long polling and over WebSocket', async () => {
  const token = await login('ada@dojo.test');

  const polling = await connect('/', token, { transports: ['polling'] });
  assert.equal(polling.io.engine.transport.name, 'polling');
  const overPolling = await ack(polling, 'whoami', {});
  assert.equal(overPolling.user_id, 1);
  assert.equal(overPolling.transport, 'polling');
  assert.ok(overPolling.rooms.includes('user:1'), JSON.stringify(overPolling));

  const websocket = await connect('/', token, { transports: ['websocket'] });
  assert.equal(websocket.io.engine.transport.name, 'websocket');
  const overWebSocket = await ack(websocket, 'whoami', {});
  assert.equal(overWebSocket.transport, 'websocket');
  assert.equal(overWebSocket.user_id, 1);

  // The default: long polling first, then the upgrade to WebSocket.
  const upgrading = open('/', { token });
  const upgraded = within(
    new Promise((resolve) => upgrading.io.on('open', () => upgrading.io.engine.once('upgrade', resolve))),
    'the upgrade',
  );
  await connected(upgrading);
  const transport = await upgraded;
  assert.equal(transport.name, 'websocket');
});

test('a demo notification arrives in its user\'s room and not in another user\'s', async () => {
  const ada = await login('ada@dojo.test');
  const grace = await login('grace@dojo.test');
  const adaTab = await connect('/', ada);
  const adaPhone = await connect('/', ada, { transports: ['websocket'] });
  const graceTab = await connect('/', grace);
  const toGrace = [];
  graceTab.on('notification', (notification) => toGrace.push(notification));

  const onTab = next(adaTab, 'notification');
  const onPhone = next(adaPhone, 'notification');
  const fired = await http('POST', '/api/v1/notifications/demo', { token: ada, body: { type: 'mention' } });
  assert.equal(fired.status, 202, JSON.stringify(fired.body));
  assert.equal(fired.body.room, 'user:1');
  assert.deepEqual(await onTab, fired.body.notification);
  assert.deepEqual(await onPhone, fired.body.notification);

  // Grace's own notification is the first she receives: the relay delivers in order, so
  // Ada's would have come before it.
  const own = next(graceTab, 'notification');
  const forGrace = await http('POST', '/api/v1/notifications/demo', { token: grace, body: { type: 'reply' } });
  assert.deepEqual(await own, forGrace.body.notification);
  assert.deepEqual(toGrace, [forGrace.body.notification]);
});

test('chat: send is acked with the stored message, reaches the room, and a retry is not stored twice', async () => {
  const ada = await connect('/chat', await login('ada@dojo.test'));
  const grace = await connect('/chat', await login('grace@dojo.test'), { transports: ['websocket'] });
  const joined = await ack(ada, 'join', { room: 'release' });
  assert.equal(joined.ok, true);
  await ack(grace, 'join', { room: 'release' });

  const delivered = next(grace, 'message');
  const sent = await ack(ada, 'send', { room: 'release', body: 'Ship it?', client_id: 'ada-42' });
  assert.equal(sent.ok, true, JSON.stringify(sent));
  assert.equal(sent.duplicate, false);
  assert.equal(sent.message.seq, 1);
  assert.equal(typeof sent.message.id, 'number');
  assert.deepEqual(await delivered, sent.message);

  const retried = await ack(ada, 'send', { room: 'release', body: 'Ship it?', client_id: 'ada-42' });
  assert.equal(retried.duplicate, true);
  assert.deepEqual(retried.message, sent.message);

  const refused = await ack(ada, 'send', { room: 'release', body: '   ' });
  assert.deepEqual(refused, { error: 'the message is empty', ok: false, status: 422 });

  const page = await ack(ada, 'history', { room: 'release' });
  assert.deepEqual(page.messages, [sent.message], 'stored once, the empty one not at all');
});

test('history pages over HTTP walk back through the seeded room', async () => {
  const token = await login('linus@dojo.test');
  const first = await http('GET', '/api/v1/chat/rooms/general/messages?limit=10', { token });
  assert.equal(first.status, 200);
  assert.deepEqual(first.body.messages.map((m) => m.seq), [16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  assert.equal(first.body.next_before, 16);
  const second = await http('GET', `/api/v1/chat/rooms/general/messages?limit=10&before=${first.body.next_before}`, { token });
  assert.deepEqual(second.body.messages.map((m) => m.seq), [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  const last = await http('GET', `/api/v1/chat/rooms/general/messages?limit=10&before=${second.body.next_before}`, { token });
  assert.deepEqual(last.body.messages.map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.equal(last.body.next_before, null);

  const anonymous = await http('GET', '/api/v1/chat/rooms/general/messages');
  assert.equal(anonymous.status, 401);
  const tooMany = await http('GET', '/api/v1/chat/rooms/general/messages?limit=500', { token });
  assert.equal(tooMany.status, 422);
  assert.equal(tooMany.body.errors[0].field, 'limit');
});

test('typing and presence are seen by a second client', async () => {
  const ada = await connect('/chat', await login('ada@dojo.test'));
  const grace = await connect('/chat', await login('grace@dojo.test'));
  await ack(ada, 'join', { room: 'ops' });

  const arrived = next(ada, 'presence');
  const joined = await ack(grace, 'join', { room: 'ops' });
  assert.deepEqual(joined.online.map((m) => m.name), ['Ada Lovelace', 'Grace Hopper']);
  assert.deepEqual((await arrived).online.map((m) => m.name), ['Ada Lovelace', 'Grace Hopper']);

  const typing = next(ada, 'typing');
  grace.emit('typing', { room: 'ops', typing: true });
  assert.deepEqual(await typing, { room: 'ops', typing: true, user: { id: 2, name: 'Grace Hopper' } });

  const gone = next(ada, 'presence');
  grace.disconnect();
  assert.deepEqual(await gone, { online: [{ id: 1, name: 'Ada Lovelace' }], room: 'ops' });
});

test('a socket that floods a room is refused after its burst', async () => {
  const ada = await connect('/chat', await login('ada@dojo.test'));
  await ack(ada, 'join', { room: 'flood' });
  const acks = await Promise.all(
    Array.from({ length: 8 }, (_, n) => ack(ada, 'send', { room: 'flood', body: `spam ${n}` })),
  );
  // The server handles each event on its own task, so which ones pass is not fixed, only
  // how many: the burst, and not the rest (they arrive within a second).
  assert.ok(acks.filter((a) => a.ok).length >= 5, JSON.stringify(acks));
  const refused = acks.filter((a) => !a.ok);
  assert.ok(refused.length > 0, JSON.stringify(acks));
  assert.equal(refused[0].status, 429);
  assert.match(refused[0].error, /^slow down/);
});

test('stopping the sandbox ends a long-polling session instead of waiting for its next poll', async () => {
  const other = await startSandbox();
  const login = await fetch(`${other.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@dojo.test', password: PASSWORD }),
  });
  const { access_token: token } = await login.json();
  const socket = io(other.url, { auth: { token }, forceNew: true, reconnection: false, transports: ['polling'] });
  sockets.push(socket);
  await connected(socket);
  // A round trip, so the client has its next long poll waiting on the server.
  assert.equal((await ack(socket, 'whoami', {})).user_id, 1);

  const started = Date.now();
  const closed = next(socket, 'disconnect');
  const exited = new Promise((resolve) => other.child.once('exit', resolve));
  other.child.kill('SIGTERM');
  await within(exited, 'the sandbox stopping');
  // The poll waiting on the server would otherwise hold the shutdown until the next ping,
  // 25 seconds later.
  assert.ok(Date.now() - started < 5_000, `stopping took ${Date.now() - started} ms`);
  await closed;
});

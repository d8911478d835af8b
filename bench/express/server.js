// Backend Dojo benchmark baseline: the sandbox's JWT-protected route (`GET /api/v1/me`)
// and its login, rebuilt on the stack a typical Express service would use. The middleware
// runs in the same order as the sandbox's stack: request id, access log, body limit,
// security headers, CORS, rate limit, then per route: auth, handler. Errors are answered
// as `application/problem+json`, as the sandbox does.
//
// Environment:
//   PORT        port on 127.0.0.1 (default 3000; 0 picks a free one)
//   RATE_LIMIT  requests per minute per client (default 1000000, so a benchmark is never
//               throttled but the limiter still counts every request)
//   ACCESS_LOG  file the access log goes to (default /dev/null; it is formatted and
//               written either way, as the sandbox always logs)
//   BODY_LIMIT  JSON body size limit (default 64kb)
//
// Prints `listening on PORT` once the socket is bound.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';

import cors from 'cors';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import jwt from 'jsonwebtoken';
import morgan from 'morgan';

const scrypt = promisify(crypto.scrypt);

const PORT = Number.parseInt(process.env.PORT ?? '3000', 10);
const RATE_LIMIT = Number.parseInt(process.env.RATE_LIMIT ?? '1000000', 10);
const ACCESS_LOG = process.env.ACCESS_LOG || '/dev/null';
const BODY_LIMIT = process.env.BODY_LIMIT || '64kb';

const ISSUER = 'backend-dojo';
const AUDIENCE = 'backend-dojo-api';
const TOKEN_TTL_SECONDS = 900;
// A fresh signing secret per start, as the sandbox keeps one random secret per install.
// Held as a KeyObject: given a plain string or Buffer, jsonwebtoken first tries to parse it
// as a public key on every call, which costs about 300 us per verify and would make this
// baseline look slower than a well-written Express service is.
const JWT_SECRET = crypto.createSecretKey(crypto.randomBytes(32));

// The one seeded learner account. Its password is hashed once at startup and only the
// hash is kept, so login does the same work a real credential check does.
const SCRYPT_KEYLEN = 32;
const users = new Map();
async function seedUsers() {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt('correct-horse-battery', salt, SCRYPT_KEYLEN);
  users.set('ada@dojo.test', { id: 1, email: 'ada@dojo.test', role: 'user', salt, hash });
}
const usersById = (id) => {
  for (const user of users.values()) if (user.id === id) return user;
  return undefined;
};

function problem(res, status, title, detail) {
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', title, status, detail }));
}

// Request id: keep a sane incoming X-Request-Id, otherwise mint one; echo it back.
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
function requestId(req, res, next) {
  const incoming = req.get('x-request-id');
  req.id = incoming && REQUEST_ID_RE.test(incoming) ? incoming : crypto.randomUUID();
  res.set('X-Request-Id', req.id);
  next();
}

// Auth: `Authorization: Bearer TOKEN`, HS256 only (no `none`, no algorithm switching),
// issuer, audience and expiry checked.
function requireAuth(req, res, next) {
  const header = req.get('authorization');
  if (!header || !header.startsWith('Bearer ')) {
    res.set('WWW-Authenticate', 'Bearer');
    return problem(res, 401, 'Unauthorized', 'missing bearer token');
  }
  try {
    req.claims = jwt.verify(header.slice(7), JWT_SECRET, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
  } catch {
    res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
    return problem(res, 401, 'Unauthorized', 'invalid or expired token');
  }
  next();
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

morgan.token('id', (req) => req.id);
const accessLog = fs.createWriteStream(ACCESS_LOG, { flags: 'a' });

app.use(requestId);
app.use(
  morgan(':id :remote-addr ":method :url HTTP/:http-version" :status :res[content-length] :response-time ms', {
    stream: accessLog,
  }),
);
app.use(express.json({ limit: BODY_LIMIT }));
app.use(helmet());
app.use(cors({ origin: ['http://127.0.0.1', 'http://localhost'], credentials: true }));
app.use(
  rateLimit({
    windowMs: 60_000,
    limit: RATE_LIMIT,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => problem(res, 429, 'Too Many Requests', 'rate limit exceeded'),
  }),
);

app.get('/healthz', (req, res) => {
  res.json({ status: 'ok' });
});

app.post('/api/v1/auth/login', async (req, res) => {
  const { email, password } = req.body ?? {};
  if (typeof email !== 'string' || typeof password !== 'string') {
    return problem(res, 400, 'Bad Request', 'email and password are required strings');
  }
  const user = users.get(email.toLowerCase());
  // Hash even for an unknown email, so timing does not reveal which accounts exist.
  const salt = user ? user.salt : crypto.randomBytes(16);
  const candidate = await scrypt(password, salt, SCRYPT_KEYLEN);
  if (!user || !crypto.timingSafeEqual(candidate, user.hash)) {
    return problem(res, 401, 'Unauthorized', 'wrong email or password');
  }
  const accessToken = jwt.sign({ email: user.email, role: user.role }, JWT_SECRET, {
    algorithm: 'HS256',
    subject: String(user.id),
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: TOKEN_TTL_SECONDS,
  });
  res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: TOKEN_TTL_SECONDS });
});

app.get('/api/v1/me', requireAuth, (req, res) => {
  const user = usersById(Number(req.claims.sub));
  if (!user) return problem(res, 401, 'Unauthorized', 'unknown user');
  res.json({ id: user.id, email: user.email, role: user.role });
});

app.use((req, res) => problem(res, 404, 'Not Found', `no route for ${req.method} ${req.path}`));

// Body parser errors (bad JSON, too large) keep their status; anything else is a 500.
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 600 ? err.status : 500;
  problem(res, status, http.STATUS_CODES[status] ?? 'Error', status < 500 && err.expose ? err.message : undefined);
});

await seedUsers();
// Express 5 hands a listen error (port in use) to this callback.
const server = app.listen(PORT, '127.0.0.1', (err) => {
  if (err) {
    console.error(`cannot listen on 127.0.0.1:${PORT}: ${err.message}`);
    process.exit(1);
  }
  console.log(`listening on ${server.address().port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

// The Postman collection that `dojo export postman` writes, as a learner uses it: it
// validates against the Postman Collection v2.1 schema, and newman runs every request of it
// against a fresh `dojo sandbox` with no failed test, every `{{variable}}` resolved.
//
// DOJO_BIN names the built `dojo` binary (default: the debug build in the shared target).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const newman = require('newman');
const { PostmanValidator } = require('@har-sdk/validator');

const DOJO_BIN =
  process.env.DOJO_BIN ?? join(homedir(), '.cache/backend-dojo/target/debug/dojo');
const run = promisify(execFile);

let dir;
let collection;
let environment;
let sandbox;
let baseUrl;
const toolingToken = randomBytes(24).toString('hex');

/// Starts `dojo sandbox` on a free port and resolves with its base URL once it prints it.
function startSandbox() {
  // Every request of every topic runs from one client: a limit well above the collection's
  // size keeps the rate limiter out of the way (topic 17 resets its own bucket anyway).
  // The token is chosen here and handed over the way a team's setup would, so the
  // collection's /_dojo/ requests can send it.
  const child = spawn(DOJO_BIN, ['sandbox', '--port', '0', '--rate-limit', '1000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DOJO_TOOLING_TOKEN: toolingToken },
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

function countRequests(items) {
  return items.reduce((sum, item) => sum + (item.request ? 1 : countRequests(item.item ?? [])), 0);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dojo-postman-'));
  await run(DOJO_BIN, ['export', 'postman', '-o', dir]);
  collection = JSON.parse(await readFile(join(dir, 'backend-dojo.postman_collection.json'), 'utf8'));
  environment = JSON.parse(await readFile(join(dir, 'backend-dojo.postman_environment.json'), 'utf8'));
  const started = await startSandbox();
  sandbox = started.child;
  baseUrl = started.url;
});

after(async () => {
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((resolve) => sandbox.once('exit', resolve));
    sandbox.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the collection validates against the Postman Collection v2.1 schema', async () => {
  const validator = new PostmanValidator();
  const errors = await validator.verify(collection);
  assert.deepEqual(errors, [], 'schema errors');
  // The validator does refuse a broken collection, so the empty list above means something.
  const broken = structuredClone(collection);
  broken.item[0].item[0].item[0].request.method = 42;
  assert.notDeepEqual(await validator.verify(broken), [], 'a numeric method is refused');
});

test('the environment sets baseUrl and has a slot for the tooling token', () => {
  assert.equal(environment._postman_variable_scope, 'environment');
  const entry = environment.values.find((value) => value.key === 'baseUrl');
  assert.ok(entry?.enabled, 'baseUrl is an enabled environment value');
  assert.match(entry.value, /^http:\/\/127\.0\.0\.1:\d+$/);
  const token = environment.values.find((value) => value.key === 'dojoToken');
  assert.ok(token?.enabled, 'dojoToken is an enabled environment value');
  assert.equal(token.type, 'secret', 'the token is hidden in Postman');
});

test('newman runs every request against a fresh sandbox with no failures', async () => {
  const expected = countRequests(collection.item);
  assert.ok(expected > 0, 'the collection has requests');
  const summary = await new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        environment,
        envVar: [
          { key: 'baseUrl', value: baseUrl },
          { key: 'dojoToken', value: toolingToken },
        ],
        reporters: [],
        timeoutRequest: 30_000,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  const failures = summary.run.failures.map(
    (failure) => `${failure.source?.name ?? '?'}: ${failure.error?.message ?? failure.error}`,
  );
  assert.deepEqual(failures, [], 'newman failures');

  const executions = summary.run.executions;
  assert.equal(executions.length, expected, 'every request ran once');
  for (const execution of executions) {
    const name = execution.item.name;
    assert.ok(execution.response, `${name} got an answer`);
    assert.equal(execution.requestError, undefined, `${name} reached the sandbox`);
    // Every {{variable}} resolved, captures included.
    const sent = [execution.request.url.toString(), ...execution.request.headers.all().map((h) => h.value)];
    for (const text of sent) {
      assert.ok(!text.includes('{{'), `${name} sent an unresolved variable: ${text}`);
    }
  }
  // Captures work: the trace looked up by the id that topic 17's request stored is found.
  const trace = executions.find((execution) => execution.item.name === 'The trace of the last answer');
  assert.ok(trace, 'topic 17 fetches the trace of its request');
  assert.equal(trace.response.code, 200, 'the captured request id names a trace');
  const assertions = executions.flatMap((execution) => execution.assertions ?? []);
  assert.ok(assertions.length > 0, 'the collection asserts something');
});

// The graphql-ws client (graphql-transport-ws) against /graphql: live-room
// events are delivered, and bad credentials end with 4403 Forbidden once,
// not the immediate-reconnect loop a 1000 close causes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient, CloseCode } from 'graphql-ws';
import { WS, login, ok } from '../lib/server.js';

const ROOM_EVENTS = 'subscription($r: ID!) { roomEvents(roomId: $r) { event sender action } }';

function client(authorization, extra = {}) {
  const opened = [];
  const c = createClient({
    url: WS,
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { Authorization: authorization } : {},
    on: { opened: (s) => opened.push(s) },
    ...extra,
  });
  return { c, opened };
}

/** events subscribes and resolves with the events until pred holds. */
function eventsUntil(c, roomId, pred) {
  const seen = [];
  let stop;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; saw ${JSON.stringify(seen)}`)), 10_000);
    stop = c.subscribe({ query: ROOM_EVENTS, variables: { r: roomId } }, {
      next: (r) => {
        if (r.errors) return reject(new Error(JSON.stringify(r.errors)));
        seen.push(r.data.roomEvents);
        if (pred(r.data.roomEvents)) { clearTimeout(timer); resolve(seen); }
      },
      error: (e) => { clearTimeout(timer); reject(e); },
      complete: () => {},
    });
  });
  return { done, stop: () => stop() };
}

test('subscription delivery: a host sees another user join the room', async () => {
  const alice = await login(1, 'Alice');
  const bob = await login(2, 'Bob');
  const { createRoom } = await ok(
    'mutation { createRoom(input: {name: "ci room"}) { room { roomId } } }', {}, alice.authorization);
  const roomId = createRoom.room.roomId;
  const a = client(alice.authorization);
  const b = client(bob.authorization);
  try {
    const own = eventsUntil(a.c, roomId, (e) => e.event === 'connected' && e.sender === alice.uid);
    await own.done;
    const join = eventsUntil(a.c, roomId, (e) => e.event === 'connection' && e.sender === bob.uid);
    // (a second subscription on alice's socket is a second membership of
    // the same user; what matters is bob's join reaching it)
    const bobSub = eventsUntil(b.c, roomId, (e) => e.event === 'connected');
    await bobSub.done;
    await join.done;
    own.stop(); join.stop(); bobSub.stop();
  } finally {
    await a.c.dispose();
    await b.c.dispose();
  }
});

test('bad credentials: closed with 4403, and no reconnect', async () => {
  const bad = 'Basic ' + Buffer.from('00000000000000000000000000000000:nope').toString('base64');
  // graphql-ws retries 4403 only with exponential backoff (at least 1.3 s)
  // and stops when shouldRetry says so, as an app with a stale token does;
  // a 1000 close, by contrast, is retried at once whatever shouldRetry says.
  const closes = [];
  const { c, opened } = client(bad, {
    shouldRetry: (e) => e.code !== CloseCode.Forbidden,
    on: { opened: (s) => opened.push(s), closed: (e) => closes.push(e.code) },
  });
  const err = await new Promise((resolve) => {
    c.subscribe({ query: '{ __typename }' }, { next: () => {}, error: resolve, complete: () => resolve(null) });
  });
  assert.equal(err?.code, CloseCode.Forbidden, `error ${err?.code} ${err?.reason}`);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(opened.length, 1, 'one socket, no reconnect');
  assert.deepEqual(closes, [CloseCode.Forbidden]);
  await c.dispose().catch(() => {});
});

test('bad credentials with default retries: backed off, never a storm', async () => {
  const bad = 'Basic ' + Buffer.from('00000000000000000000000000000000:nope').toString('base64');
  const { c, opened } = client(bad);
  c.subscribe({ query: '{ __typename }' }, { next: () => {}, error: () => {}, complete: () => {} });
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(opened.length, 1, `sockets opened in 1.2 s: ${opened.length}`);
  // dispose rejects with the close event of the refused connection
  await c.dispose().catch(() => {});
});

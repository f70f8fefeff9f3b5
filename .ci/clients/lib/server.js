// Shared helpers: the server under test (CHAOQER_URL, started by .ci/run)
// and logins through the public GraphQL API.
import assert from 'node:assert/strict';

export const BASE = (process.env.CHAOQER_URL ?? 'http://127.0.0.1:18090').replace(/\/$/, '');
export const GRAPHQL = `${BASE}/graphql`;
export const WS = GRAPHQL.replace(/^http/, 'ws');

// White-listed mobiles (CHAOQER_WHITE_MOBILES) log in with 8888. Each test
// file takes its own range so files never share an account.
const PREFIX = process.env.CHAOQER_TEST_MOBILE_PREFIX ?? '1390000';
export function mobile(n) {
  return PREFIX + String(n).padStart(11 - PREFIX.length, '0');
}

/** gql posts one operation and returns the parsed body (throws on HTTP errors other than 4xx JSON). */
export async function gql(query, variables = {}, authorization) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (authorization) headers.authorization = authorization;
  const res = await fetch(GRAPHQL, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  return { status: res.status, body };
}

/** ok runs gql and fails on any GraphQL error. */
export async function ok(query, variables, authorization) {
  const { status, body } = await gql(query, variables, authorization);
  assert.equal(body.errors, undefined, `${query}\n→ ${status} ${JSON.stringify(body.errors)}`);
  return body.data;
}

export function basic(uid, token) {
  return 'Basic ' + Buffer.from(`${uid}:${token}`).toString('base64');
}

/** login logs the white-listed mobile n in (code 8888) and sets up a profile. */
export async function login(n, nickname = `ci${n}`) {
  const data = await ok(
    `mutation($m: String) { loginWithCaptcha(input: {countryCode: "86", mobile: $m, captcha: "8888"}) {
       credentials { uid accessToken } } }`,
    { m: mobile(n) },
  );
  const { uid, accessToken } = data.loginWithCaptcha.credentials;
  const authorization = basic(uid, accessToken);
  await ok(`mutation($n: String) { initProfile(input: {nickname: $n, avatar: "https://example.com/a.jpg"}) { message } }`, { n: nickname }, authorization);
  return { uid, authorization };
}

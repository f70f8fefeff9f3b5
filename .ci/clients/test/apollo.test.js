// Apollo Client 4 with its normalised cache, as a new app would use it:
// paging a connection one item at a time to the end (relayStylePagination)
// sees every member once, and @defer arrives over multipart/mixed.
// Normalisation relies on the Relay `id` fields and the unique cursors of
// branch `relay` (issue 10 items 1 and 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { GRAPHQL, login, ok } from '../lib/server.js';

function apollo(authorization) {
  return new ApolloClient({
    link: new HttpLink({ uri: GRAPHQL, headers: { authorization } }),
    cache: new InMemoryCache({
      typePolicies: { Club: { fields: { members: relayStylePagination() } } },
    }),
    incrementalHandler: new Defer20220824Handler(),
  });
}

const MEMBERS = gql`
  query Members($clubId: ID!, $first: Int!, $after: String) {
    club(clubId: $clubId) {
      id
      clubId
      members(first: $first, after: $after) {
        edges { cursor node { uid user { id uid nickname } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

test('Apollo Client pages Club.members one by one after 40 simultaneous joins', async () => {
  const owner = await login(20, 'Owner');
  const { createClub } = await ok(
    'mutation { createClub(input: {name: "ci paging", cover: "https://example.com/c.jpg"}) { club { clubId } } }', {}, owner.authorization);
  const clubId = createClub.club.clubId;
  const joiners = await Promise.all(Array.from({ length: 40 }, (_, i) => login(21 + i)));
  await Promise.all(joiners.map((u) =>
    ok('mutation($c: ID!) { joinClub(clubId: $c) { message } }', { c: clubId }, u.authorization)));

  const client = apollo(owner.authorization);
  // network-only: the cache holds one merged list (keyArgs false), so
  // cache-first would answer later pages from it.
  const fetchPolicy = 'network-only';
  let { data } = await client.query({ query: MEMBERS, variables: { clubId, first: 1 }, fetchPolicy });
  let pages = 1;
  while (data.club.members.pageInfo.hasNextPage) {
    ({ data } = await client.query({
      query: MEMBERS,
      variables: { clubId, first: 1, after: data.club.members.pageInfo.endCursor },
      fetchPolicy,
    }));
    // relayStylePagination merges every page into the cached list.
    const merged = client.readQuery({ query: MEMBERS, variables: { clubId, first: 1 } });
    if (merged) data = merged;
    pages++;
    assert.ok(pages <= 50, 'paging does not end');
  }
  const uids = data.club.members.edges.map((e) => e.node.uid);
  const want = [owner.uid, ...joiners.map((u) => u.uid)].sort();
  assert.equal(new Set(uids).size, uids.length, `duplicates in ${uids.length} members`);
  assert.deepEqual([...uids].sort(), want, 'every member exactly once');
});

test('Apollo Client receives a deferred fragment (multipart/mixed)', async () => {
  const alice = await login(3, 'Deferred');
  const client = apollo(alice.authorization);
  const query = gql`query { viewer { uid ... @defer { profile { nickname } } } }`;
  const results = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no deferred payload: ${JSON.stringify(results)}`)), 10_000);
    const sub = client.watchQuery({ query }).subscribe({
      next: (r) => {
        results.push(r.data);
        if (r.data?.viewer?.profile?.nickname) { clearTimeout(timer); sub.unsubscribe(); resolve(); }
      },
      error: (e) => { clearTimeout(timer); reject(e); },
    });
  });
  const last = results.at(-1);
  assert.equal(last.viewer.uid, alice.uid);
  assert.equal(last.viewer.profile.nickname, 'Deferred');
});

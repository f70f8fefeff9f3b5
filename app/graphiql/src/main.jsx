// The Playground page: GraphiQL with every asset served by this binary.
// Queries and mutations go to /graphql over HTTP (multipart for @defer),
// subscriptions over a WebSocket to /graphql (graphql-transport-ws) that
// authenticates with the headers of the headers editor.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import { parse } from 'graphql';
import 'graphiql/style.css';

// Monaco runs its language services in workers, built next to this file.
const base = new URL('.', import.meta.url);
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    const name = label === 'json' ? 'json' : label === 'graphql' ? 'graphql' : 'editor';
    return new Worker(new URL(`workers/${name}.worker.js`, base), { type: 'module' });
  },
};

const endpoint = new URL('/graphql', location.href);
const http = createGraphiQLFetcher({ url: endpoint.href });

function isSubscription(params, opts) {
  let doc = opts?.documentAST;
  if (!doc) {
    try { doc = parse(params.query); } catch { return false; }
  }
  const ops = doc.definitions.filter((d) => d.kind === 'OperationDefinition');
  const op = params.operationName ? ops.find((d) => d.name?.value === params.operationName) : ops[0];
  return op?.operation === 'subscription';
}

// One socket per subscription, so it always carries the current headers.
async function* subscribe(params, headers) {
  const ws = new URL(endpoint);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = createClient({ url: ws.href, connectionParams: headers ?? {}, retryAttempts: 0, lazy: true });
  try {
    yield* client.iterate(params);
  } finally {
    await client.dispose();
  }
}

const fetcher = (params, opts) =>
  isSubscription(params, opts) ? subscribe(params, opts?.headers) : http(params, opts);

const defaultHeaders = `{
  // Log in with the loginWithCaptcha mutation
  // (see the query tab), then send its
  // credentials with every request:
  //   Authorization: Basic base64(uid:accessToken)
  // e.g. printf '%s:%s' UID TOKEN | base64
  // Subscriptions send these in connection_init.
  // "Authorization": "Basic …"
}
`;

const defaultQuery = `# Log in (in development, a number listed in
# CHAOQER_WHITE_MOBILES takes the code 8888):
#
# mutation Login {
#   loginWithCaptcha(input: {countryCode: "86",
#       mobile: "13800000000", captcha: "8888"}) {
#     registered
#     credentials { uid accessToken }
#   }
# }
#
# then fill in Authorization under Headers.

query Me {
  viewer {
    uid
  }
}
`;

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    defaultHeaders={defaultHeaders}
    defaultEditorToolsVisibility="headers"
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
  />,
);

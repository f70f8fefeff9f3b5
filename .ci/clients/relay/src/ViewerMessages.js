// Viewer.messages (MessageConnection), in a query.
import { graphql } from 'relay-runtime';

export const query = graphql`
  query ViewerMessagesQuery($count: Int!, $cursor: String) {
    viewer {
      messages(first: $count, after: $cursor) @connection(key: "ViewerMessages_messages") {
        edges { node { __typename } }
      }
    }
  }
`;

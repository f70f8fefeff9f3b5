// Query.roomFeed (RoomEntryConnection).
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment RoomFeed_query on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "RoomFeedPaginationQuery") {
    roomFeed(first: $count, after: $cursor) @connection(key: "RoomFeed_roomFeed") {
      edges { node { __typename } }
    }
  }
`;

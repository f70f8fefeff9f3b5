// Query.events (EventEntryConnection).
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment Events_query on Query
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "EventsPaginationQuery") {
    events(first: $count, after: $cursor) @connection(key: "Events_events") {
      edges { node { __typename } }
    }
  }
`;

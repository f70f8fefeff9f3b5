// Viewer.clubs (ClubEntryConnection), paginated through Query.viewer.
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment Clubs_viewer on Viewer
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "ClubsPaginationQuery") {
    clubs(first: $count, after: $cursor) @connection(key: "Clubs_clubs") {
      edges { node { __typename } }
    }
  }
`;

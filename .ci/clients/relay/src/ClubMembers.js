// Club.members (UserEntryConnection), paginated through node(id:): Club
// must implement Node for @refetchable to accept the fragment.
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment ClubMembers_club on Club
  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, cursor: { type: "String" })
  @refetchable(queryName: "ClubMembersPaginationQuery") {
    id
    clubId
    members(first: $count, after: $cursor) @connection(key: "ClubMembers_members") {
      edges { node { __typename } }
    }
  }
`;

export const query = graphql`
  query ClubMembersQuery($clubId: ID!) {
    club(clubId: $clubId) { ...ClubMembers_club }
  }
`;

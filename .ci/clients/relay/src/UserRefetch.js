// A User refetched on its own through node(id:).
import { graphql } from 'relay-runtime';

export const fragment = graphql`
  fragment UserRefetch_user on User @refetchable(queryName: "UserRefetchQuery") {
    id
    uid
    nickname
  }
`;

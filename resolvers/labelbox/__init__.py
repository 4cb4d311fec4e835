"""POST /labelbox/graphql: the operations the official Labelbox SDK sends for exports, answered from our engine."""

"""Mutation roots, one module per concern, merged in resolvers.schema."""

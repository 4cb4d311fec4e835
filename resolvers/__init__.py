"""The GraphQL layer: Strawberry types, inputs, queries and mutations over the server/ engine."""

"""Evidence: capture, order-book replay, liquidation recomputation, transfer tracing."""

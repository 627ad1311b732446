// Tests for Linearizability.

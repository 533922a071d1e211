// The Checkpoints module; see docs/architecture.md.

// The Learning module; see docs/architecture.md.

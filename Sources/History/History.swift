// The History module; see docs/architecture.md.

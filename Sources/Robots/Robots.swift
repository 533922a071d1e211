// The Robots module; see docs/architecture.md.

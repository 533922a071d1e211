// The Adaptation module; see docs/architecture.md.

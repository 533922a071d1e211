/// A checkpoint's place in its robot's lineage, as `checkpoints` lists it (docs/wire-protocol.md
/// names each; the raw value is what the wire and `ttactl checkpoints` show).
public enum CheckpointState: String, Sendable, Equatable, CaseIterable {
    /// The last good checkpoint: what a rollback returns to.
    case good
    /// The lineage's starting checkpoint, which the KL-to-reference terms compare against.
    case reference
    /// Marked good once, since superseded by a newer good checkpoint.
    case wasGood = "was good"
    /// Written after an accepted update and not (yet) judged good.
    case candidate
    /// A checkpoint file whose header cannot be read (truncated, corrupted): never loaded.
    case damaged
}

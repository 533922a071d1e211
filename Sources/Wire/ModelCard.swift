/// A checkpoint's model card: what `export_checkpoint` says about the file it hands out, and what
/// `import` reads back for provenance. `ttactl export-checkpoint` writes it beside the file as
/// `<id>.card.json` (these keys, snake_case) and `<id>.card.md` (docs/checkpoint-format.md).
///
/// The file itself is the authority for what it can prove (its id, robot-config and checksum are
/// under its header checksum); the card adds what only the source daemon knew: which host ran
/// it, when it was promoted there, and how it did.
public struct ModelCard: Codable, Sendable, Equatable {
    /// `ttad-model-card`.
    public var format: String
    /// 1; readers refuse newer versions.
    public var formatVersion: Int
    /// The checkpoint id on the source robot (the file's metadata `id`).
    public var checkpoint: String
    /// The file name written beside the card: `<checkpoint>.safetensors`.
    public var file: String
    /// The whole file's SHA-256, 64 lowercase hex digits.
    public var sha256: String
    /// The file's metadata `checksum`: `sha256:<hex>` of its tensor data.
    public var checksum: String
    /// The robot-config the policy was made for (the file's metadata `robot`).
    public var robotConfig: String
    /// The host name of the daemon it was exported from: the source robot.
    public var sourceHost: String
    /// Which checkpoint of the robot it was: `live` or `good` (the last good one).
    public var which: String
    /// The policy's architecture: the file's metadata `architecture`, JSON text.
    public var architecture: String
    /// Adaptation step: accepted updates since its base policy.
    public var step: Int
    /// When the file was written, unix seconds.
    public var createdAt: Double
    /// When it last became the robot's good policy (promoted, imported or rolled back to), if the
    /// history knows.
    public var promotedAt: Double?
    /// Its ancestors, parent first, as far as the source store still holds them (at most 16).
    public var parents: [String]
    /// The file's own metadata `metrics`.
    public var metrics: [String: Double]
    /// How the robot did over its recent training tasks, from the history.
    public var recent: RecentResults
    /// When it was exported, unix seconds.
    public var exportedAt: Double
    /// The exporting daemon's version.
    public var ttadVersion: String

    /// The `format` value.
    public static let formatName = "ttad-model-card"
    /// The `format_version` this build writes and the newest it reads.
    public static let currentVersion = 1

    public init(checkpoint: String, sha256: String, checksum: String, robotConfig: String, sourceHost: String,
                which: String, architecture: String, step: Int, createdAt: Double, promotedAt: Double?,
                parents: [String], metrics: [String: Double], recent: RecentResults, exportedAt: Double, ttadVersion: String) {
        self.format = Self.formatName; self.formatVersion = Self.currentVersion
        self.checkpoint = checkpoint; self.file = checkpoint + ".safetensors"; self.sha256 = sha256; self.checksum = checksum
        self.robotConfig = robotConfig; self.sourceHost = sourceHost; self.which = which; self.architecture = architecture
        self.step = step; self.createdAt = createdAt; self.promotedAt = promotedAt; self.parents = parents
        self.metrics = metrics; self.recent = recent; self.exportedAt = exportedAt; self.ttadVersion = ttadVersion
    }

    /// The card's results over a robot's most recent finished training tasks.
    public struct RecentResults: Codable, Sendable, Equatable {
        /// Tasks counted (at most `ModelCard.recentWindow`).
        public var tasks: Int
        /// Attempts in those tasks.
        public var attempts: Int
        /// Successful attempts over all attempts, nil without tasks.
        public var successRate: Double?
        /// Mean reward per attempt, nil without tasks.
        public var meanReward: Double?
        /// The first and last counted task's finish time, unix seconds.
        public var since: Double?
        public var until: Double?

        public init(tasks: Int, attempts: Int, successRate: Double?, meanReward: Double?, since: Double?, until: Double?) {
            self.tasks = tasks; self.attempts = attempts; self.successRate = successRate; self.meanReward = meanReward
            self.since = since; self.until = until
        }
    }

    /// How many finished training tasks `recent` looks back over.
    public static let recentWindow = 20

    /// Checks what an `import` relies on. Throws naming the first bad field under `field`
    /// (e.g. `args.card.sha256`).
    public func validate(field: String) throws(WireError) {
        func bad(_ key: String, _ message: String) -> WireError { WireError(.invalidField, field: "\(field).\(key)", message) }
        func printable(_ s: String, max: Int) -> Bool {
            !s.isEmpty && s.utf8.count <= max && !s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
        }
        if format != Self.formatName { throw bad("format", "must be \"\(Self.formatName)\", got \"\(format.prefix(64))\"") }
        if formatVersion < 1 || formatVersion > Self.currentVersion {
            throw bad("format_version", "version \(formatVersion) is not supported; this build reads 1 to \(Self.currentVersion)")
        }
        if sha256.count != 64 || !sha256.allSatisfy(\.isHexDigit) { throw bad("sha256", "must be 64 hex digits") }
        if !checksum.hasPrefix("sha256:") || checksum.count != 71 { throw bad("checksum", "must be sha256:<64 hex digits>") }
        for (key, value) in [("checkpoint", checkpoint), ("robot_config", robotConfig), ("source_host", sourceHost), ("which", which)]
        where !printable(value, max: 255) {
            throw bad(key, "must be 1 to 255 printable characters")
        }
        if parents.count > 64 { throw bad("parents", "at most 64 ids") }
    }
}

import Policy

/// What a checkpoint says about itself, stored in the safetensors `__metadata__` map
/// (docs/checkpoint-format.md lists the keys).
public struct CheckpointMetadata: Codable, Sendable, Equatable {
    /// The file format's version this was written with (`CheckpointStore.formatVersion`).
    public var formatVersion: Int
    /// The policy's architecture: enough to rebuild it.
    public var architecture: PolicyConfig
    /// The robot (configuration name) this policy acts for.
    public var robot: String
    /// The checkpoint this one was trained from, if any.
    public var parent: String?
    /// Creation time, unix seconds.
    public var createdAt: Double
    /// Free-form numbers: success rate, reward, KL, ...
    public var metrics: [String: Double]
    /// Adaptation step (updates applied since the base policy).
    public var step: Int
    /// Free-form strings (e.g. the task or the software version).
    public var notes: [String: String]

    /// Metadata; `createdAt` nil means now.
    public init(
        architecture: PolicyConfig, robot: String, parent: String? = nil, createdAt: Double? = nil,
        metrics: [String: Double] = [:], step: Int = 0, notes: [String: String] = [:],
        formatVersion: Int = CheckpointStore.formatVersion
    ) {
        self.formatVersion = formatVersion
        self.architecture = architecture
        self.robot = robot
        self.parent = parent
        self.createdAt = createdAt ?? CheckpointClock.now()
        self.metrics = metrics
        self.step = step
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", architecture, robot, parent, createdAt = "created_at", metrics, step, notes
    }
}

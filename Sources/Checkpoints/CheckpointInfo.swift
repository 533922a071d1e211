/// A checkpoint on disk: its id, its file and what it says about itself.
public struct CheckpointInfo: Sendable, Equatable {
    /// The id (the file name without ".safetensors").
    public var id: String
    /// The file's path.
    public var path: String
    /// The metadata from the file's header.
    public var metadata: CheckpointMetadata

    /// An info.
    public init(id: String, path: String, metadata: CheckpointMetadata) {
        self.id = id
        self.path = path
        self.metadata = metadata
    }
}

/// A file in the checkpoint directory that could not be read, and why.
public struct UnreadableCheckpoint: Sendable, Equatable {
    /// The id the file name implies.
    public var id: String
    /// The file's path.
    public var path: String
    /// What is wrong with it.
    public var reason: String
}

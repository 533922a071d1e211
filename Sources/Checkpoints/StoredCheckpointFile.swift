/// A stored checkpoint's file exactly as it is on disk, verified, for handing out
/// (`CheckpointStore.storedFile(id:)`): the `export_checkpoint` operation sends these bytes.
public struct StoredCheckpointFile: Sendable {
    /// Its id, path and metadata.
    public var info: CheckpointInfo
    /// The whole file.
    public var bytes: [UInt8]
    /// The metadata's `checksum`: `sha256:<hex>` of the tensor data.
    public var checksum: String
    /// The metadata's `architecture`, the JSON text as stored.
    public var architectureJSON: String
}

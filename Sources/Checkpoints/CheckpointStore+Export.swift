/// Reading a stored checkpoint out whole, for a copy on another robot.
extension CheckpointStore {
    /// The file of checkpoint `id` as stored, after verifying it as `load(id:)` does, so a
    /// damaged file is never handed out.
    /// - Throws: `CheckpointError.notFound`, `.damaged` or `.incompatible`.
    public func storedFile(id: String) throws -> StoredCheckpointFile {
        let info = try info(id: id)
        let (bytes, _) = try AtomicFile.read(info.path)
        let (_, _, metadata) = try Self.verify(bytes: bytes, source: info.path)
        let (raw, _, _) = try SafeTensorsFile.decodeHeader(prefix: bytes, fileSize: bytes.count, path: info.path)
        return StoredCheckpointFile(info: CheckpointInfo(id: id, path: info.path, metadata: metadata), bytes: bytes,
                                    checksum: raw["checksum"] ?? "", architectureJSON: raw["architecture"] ?? "{}")
    }

    /// The `checksum` a checkpoint file's metadata states (`sha256:<hex>` of its tensor data), if
    /// any: an imported file's provenance. Nil when the bytes are not a readable header.
    public static func storedChecksum(bytes: [UInt8]) -> String? {
        (try? SafeTensorsFile.decodeHeader(prefix: bytes, fileSize: bytes.count, path: "-"))?.metadata["checksum"]
    }

    /// The ancestors of `id`, parent first, while the store still holds them (at most `limit`).
    public func ancestors(of id: String, limit: Int = 16) -> [String] {
        var chain: [String] = []
        var next = (try? info(id: id))?.metadata.parent
        while let parent = next, chain.count < limit, !chain.contains(parent) {
            chain.append(parent)
            next = (try? info(id: parent))?.metadata.parent
        }
        return chain
    }
}

import Crypto
import Foundation
import Policy
#if canImport(Glibc)
import Glibc
#endif

/// Unix time, in one place so metadata and ids agree.
enum CheckpointClock {
    static func now() -> Double { Date().timeIntervalSince1970 }
}

/// A directory of checkpoints: `<id>.safetensors` files (docs/checkpoint-format.md), a `LAST_GOOD`
/// pointer file (good ids, newest first) and a `REFERENCE` pointer file. The only writer of
/// checkpoint files. Every write is atomic and durable (temp file, fsync, rename, fsync directory).
///
/// Methods are serialised on an internal lock, so one store may be shared between threads.
public final class CheckpointStore: @unchecked Sendable {
    /// The format version this build writes (and the newest it reads).
    public static let formatVersion = 1
    /// Good ids remembered for fallback (and protected from pruning).
    public static let goodHistory = 8

    /// The directory.
    public let directory: String
    private let lock = NSLock()
    private static let suffix = ".safetensors"
    private static let lastGoodFile = "LAST_GOOD"
    private static let referenceFile = "REFERENCE"

    /// Opens (creating it and its parents if needed) the store at `directory`.
    public init(directory: String) throws {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        do {
            try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.cannotCreateDirectory(path: self.directory, reason: "\(error.localizedDescription)")
        }
    }

    private func path(of id: String) -> String { directory + "/" + id + Self.suffix }

    private static func validate(_ id: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !id.isEmpty, !id.hasPrefix("."), id.allSatisfy({ allowed.contains($0) }) else { throw CheckpointError.invalidID(id) }
    }

    // MARK: Saving and loading

    /// Writes a new checkpoint of `policy` (its tensors), `optimizer` (e.g. `PPOTrainer.optimizerTensors()`,
    /// may be empty) and `metadata`, atomically. Returns it; its id sorts by creation time.
    public func save(policy: Policy, optimizer: [NamedTensor], metadata: CheckpointMetadata) throws -> CheckpointInfo {
        let millis = Int64((metadata.createdAt * 1000).rounded())
        let id = "ckpt-\(millis)-s\(metadata.step)-\(String(format: "%04x", UInt16.random(in: 0...UInt16.max)))"
        return try write(policy: policy, optimizer: optimizer, metadata: metadata, id: id)
    }

    /// Writes a checkpoint of `policy` under the id the caller names (`<id>.safetensors`), replacing
    /// any checkpoint of that id atomically: a reader sees the old file or the new one, never
    /// neither. For a starting checkpoint shipped beside the robot-configs, named after its robot.
    /// - Throws: `CheckpointError.invalidID` for an id that is not a plain file name.
    @discardableResult
    public func save(policy: Policy, optimizer: [NamedTensor], metadata: CheckpointMetadata, as id: String) throws -> CheckpointInfo {
        try Self.validate(id)
        return try write(policy: policy, optimizer: optimizer, metadata: metadata, id: id)
    }

    private func write(policy: Policy, optimizer: [NamedTensor], metadata: CheckpointMetadata, id: String) throws -> CheckpointInfo {
        var meta = metadata
        meta.architecture = policy.config
        meta.formatVersion = Self.formatVersion
        let bytes = try SafeTensorsFile.encode(tensors: policy.namedTensors() + optimizer, metadata: try Self.encode(meta, id: id))
        try lock.withLock { try AtomicFile.write(bytes, directory: directory, name: id + Self.suffix) }
        return CheckpointInfo(id: id, path: path(of: id), metadata: meta)
    }

    /// Reads checkpoint `id`, verifying both checksums. Returns the policy, the optimizer tensors
    /// (names starting "adam.") and the info.
    /// - Throws: `CheckpointError.damaged` (saying what is wrong) for a truncated or corrupted file.
    public func load(id: String) throws -> (policy: Policy, optimizer: [NamedTensor], info: CheckpointInfo) {
        try Self.validate(id)
        let p = path(of: id)
        guard FileManager.default.fileExists(atPath: p) else { throw CheckpointError.notFound(id: id) }
        let (bytes, _) = try AtomicFile.read(p)
        let (policy, optimizer, meta) = try Self.verify(bytes: bytes, source: p)
        return (policy, optimizer, CheckpointInfo(id: id, path: p, metadata: meta))
    }

    /// Reads a checkpoint file's bytes that are not (yet) in a store, as `load(id:)` reads a
    /// stored one: both checksums, the metadata, every tensor against the file's own architecture
    /// (the observation normaliser's too). `source` names the file in errors.
    /// - Throws: `CheckpointError.damaged` or `.unsupportedVersion` for a file that does not
    ///   verify, `.incompatible` (naming the tensor) for one whose tensors do not fit its architecture.
    public static func verify(bytes: [UInt8], source: String) throws -> (policy: Policy, optimizer: [NamedTensor], metadata: CheckpointMetadata) {
        let (rawMeta, tensors) = try SafeTensorsFile.decode(bytes: bytes, path: source)
        let meta = try decode(rawMeta, path: source)
        let policyTensors = tensors.filter { !$0.name.hasPrefix("adam.") }
        let optimizer = tensors.filter { $0.name.hasPrefix("adam.") }
        let policy: Policy
        do { policy = try Policy(config: meta.architecture, tensors: policyTensors) } catch {
            throw CheckpointError.incompatible(path: source, reason: "\(error)")
        }
        return (policy, optimizer, meta)
    }

    /// `verify(bytes:source:)` of the file at `path`.
    public static func verify(file path: String) throws -> (policy: Policy, optimizer: [NamedTensor], metadata: CheckpointMetadata) {
        try verify(bytes: try AtomicFile.read(path).bytes, source: path)
    }

    /// The lowercase hex SHA-256 of `bytes` (what an import's `sha256` is checked against).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SafeTensorsFile.hex(SHA256.hash(data: bytes))
    }

    /// The id a checkpoint file says it was saved as (its metadata's `id`), if any: an imported
    /// file's provenance. Nil when the bytes are not a readable header.
    public static func storedID(bytes: [UInt8]) -> String? {
        (try? SafeTensorsFile.decodeHeader(prefix: bytes, fileSize: bytes.count, path: "-"))?.metadata["id"]
    }

    /// The info of one checkpoint from its header (checks the header checksum, not the data).
    public func info(id: String) throws -> CheckpointInfo {
        try Self.validate(id)
        let p = path(of: id)
        guard FileManager.default.fileExists(atPath: p) else { throw CheckpointError.notFound(id: id) }
        return try readInfo(id: id, path: p)
    }

    private func readInfo(id: String, path p: String) throws -> CheckpointInfo {
        var (prefix, size) = try AtomicFile.read(p, limit: 64 * 1024)
        if prefix.count >= 8 {
            var n = 0
            for i in 0..<8 { n |= Int(prefix[i]) << (8 * i) }
            if n + 8 > prefix.count, n + 8 <= size { (prefix, size) = try AtomicFile.read(p, limit: n + 8) }
        }
        let (rawMeta, _, _) = try SafeTensorsFile.decodeHeader(prefix: prefix, fileSize: size, path: p)
        return CheckpointInfo(id: id, path: p, metadata: try Self.decode(rawMeta, path: p))
    }

    // MARK: Listing

    /// Every checkpoint whose header reads, newest first (by creation time, then id).
    public func list() -> [CheckpointInfo] { scan().readable }

    /// Every checkpoint file: those whose header reads (newest first) and those that do not, with why.
    public func scan() -> (readable: [CheckpointInfo], unreadable: [UnreadableCheckpoint]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var readable: [CheckpointInfo] = [], unreadable: [UnreadableCheckpoint] = []
        for name in names where name.hasSuffix(Self.suffix) && !name.hasPrefix(".") {
            let id = String(name.dropLast(Self.suffix.count))
            let p = path(of: id)
            do { readable.append(try readInfo(id: id, path: p)) } catch {
                unreadable.append(UnreadableCheckpoint(id: id, path: p, reason: "\(error)"))
            }
        }
        readable.sort { ($0.metadata.createdAt, $0.id) > ($1.metadata.createdAt, $1.id) }
        unreadable.sort { $0.id > $1.id }
        return (readable, unreadable)
    }

    // MARK: Good and reference pointers

    /// The checkpoint most recently marked good, if any.
    public var lastGood: String? { goodIDs().first }

    /// Ids marked good, most recent first (up to `goodHistory`).
    public func goodIDs() -> [String] { readPointer(Self.lastGoodFile) }

    /// Marks `id` (which must exist) as the last good checkpoint; the previous good ones stay behind
    /// it as fallbacks. The pointer file is replaced atomically.
    public func markGood(id: String) throws {
        try Self.validate(id)
        guard FileManager.default.fileExists(atPath: path(of: id)) else { throw CheckpointError.notFound(id: id) }
        let ids = [id] + goodIDs().filter { $0 != id }
        try writePointer(Self.lastGoodFile, ids: Array(ids.prefix(Self.goodHistory)))
    }

    /// The reference checkpoint (the KL anchor; never pruned), if set.
    public var reference: String? { readPointer(Self.referenceFile).first }

    /// Sets the reference checkpoint (which must exist).
    public func markReference(id: String) throws {
        try Self.validate(id)
        guard FileManager.default.fileExists(atPath: path(of: id)) else { throw CheckpointError.notFound(id: id) }
        try writePointer(Self.referenceFile, ids: [id])
    }

    /// The outcome of `loadLastGoodReporting`: what was loaded and which good ids were skipped, why.
    public struct GoodLoad: Sendable {
        /// The loaded policy.
        public var policy: Policy
        /// Its optimizer tensors.
        public var optimizer: [NamedTensor]
        /// Its info.
        public var info: CheckpointInfo
        /// Good checkpoints tried first and rejected (newest first), with the reason. Empty when the
        /// pointed-to checkpoint loaded.
        public var skipped: [UnreadableCheckpoint]
    }

    /// Loads the last good checkpoint; if it is damaged or gone, the newest earlier good one that
    /// verifies, reporting what it skipped.
    public func loadLastGoodReporting() throws -> GoodLoad {
        let ids = goodIDs()
        guard !ids.isEmpty else { throw CheckpointError.noGoodCheckpoint("none has been marked good in \(directory)") }
        var skipped: [UnreadableCheckpoint] = []
        for id in ids {
            do {
                let (policy, optimizer, info) = try load(id: id)
                return GoodLoad(policy: policy, optimizer: optimizer, info: info, skipped: skipped)
            } catch {
                skipped.append(UnreadableCheckpoint(id: id, path: path(of: id), reason: "\(error)"))
            }
        }
        throw CheckpointError.noGoodCheckpoint(skipped.map { "\($0.id): \($0.reason)" }.joined(separator: "; "))
    }

    /// Loads the first of `ids` (most preferred first) that is in this store and verifies, reporting
    /// the ones it skipped and why. Ids that are not valid, or not here, are skipped without a word
    /// unless `reportMissing` (the daemon passes ids of every robot; each store knows only its own).
    public func loadFirstVerifying(_ ids: [String], reportMissing: Bool = false) -> (loaded: GoodLoad?, skipped: [UnreadableCheckpoint]) {
        var skipped: [UnreadableCheckpoint] = []
        var seen = Set<String>()
        for id in ids where seen.insert(id).inserted {
            do {
                let (policy, optimizer, info) = try load(id: id)
                return (GoodLoad(policy: policy, optimizer: optimizer, info: info, skipped: skipped), skipped)
            } catch {
                if !reportMissing, let error = error as? CheckpointError {
                    switch error {
                    case .notFound, .invalidID: continue
                    default: break
                    }
                }
                skipped.append(UnreadableCheckpoint(id: id, path: directory + "/" + id + Self.suffix, reason: "\(error)"))
            }
        }
        return (nil, skipped)
    }

    /// Replaces the good list with exactly `ids` (each must exist), most recent first: how a damaged
    /// `LAST_GOOD` is rewritten after start-up chose a checkpoint to run.
    public func resetGood(ids: [String]) throws {
        for id in ids {
            try Self.validate(id)
            guard FileManager.default.fileExists(atPath: path(of: id)) else { throw CheckpointError.notFound(id: id) }
        }
        var unique: [String] = []
        for id in ids where !unique.contains(id) { unique.append(id) }
        try writePointer(Self.lastGoodFile, ids: Array(unique.prefix(Self.goodHistory)))
    }

    /// The raw text of `LAST_GOOD` (nil when the file is missing): what start-up reports when the
    /// pointer is damaged.
    public func lastGoodPointerText() -> String? {
        guard let (bytes, _) = try? AtomicFile.read(directory + "/" + Self.lastGoodFile, limit: 4096) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `loadLastGoodReporting` without the report (see it for the fallback).
    public func loadLastGood() throws -> (policy: Policy, optimizer: [NamedTensor], info: CheckpointInfo) {
        let r = try loadLastGoodReporting()
        return (r.policy, r.optimizer, r.info)
    }

    // MARK: Pruning

    /// Deletes readable checkpoints beyond the `keepRecent` newest, except the good ones (the last
    /// good and its remembered fallbacks), the reference and `protect`. Unreadable files are left for
    /// inspection. Returns the deleted ids.
    @discardableResult
    public func prune(keepRecent: Int, protect: Set<String>) throws -> [String] {
        var keep = protect.union(goodIDs())
        if let reference { keep.insert(reference) }
        let all = list()
        var deleted: [String] = []
        for (rank, info) in all.enumerated() where rank >= max(keepRecent, 0) && !keep.contains(info.id) {
            guard unlink(info.path) == 0 else { throw CheckpointError.io(path: info.path, operation: "delete", errno: errno) }
            deleted.append(info.id)
        }
        if !deleted.isEmpty { try AtomicFile.syncDirectory(directory) }
        return deleted
    }

    // MARK: Start-up

    /// Deletes the temp files an interrupted write left behind (`.<name>.tmp-<pid>-<random>`, full
    /// size when a kill -9 came between the write and the rename). Files of a live process other
    /// than this one are left alone: that writer may still finish. Call it before this process
    /// writes to the store. Returns the removed file names.
    @discardableResult
    public func removeStaleTempFiles() throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            guard let pid = AtomicFile.writerPID(ofTempFile: name) else { continue }
            if pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
            let p = directory + "/" + name
            guard unlink(p) == 0 || errno == ENOENT else { throw CheckpointError.io(path: p, operation: "delete", errno: errno) }
            removed.append(name)
        }
        if !removed.isEmpty { try AtomicFile.syncDirectory(directory) }
        return removed.sorted()
    }

    // MARK: Files

    private func readPointer(_ name: String) -> [String] {
        guard let (bytes, _) = try? AtomicFile.read(directory + "/" + name, limit: 64 * 1024) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func writePointer(_ name: String, ids: [String]) throws {
        let text = ids.joined(separator: "\n") + "\n"
        try lock.withLock { try AtomicFile.write(Array(text.utf8), directory: directory, name: name) }
    }

    // MARK: Metadata <-> the string map

    private static func encode(_ m: CheckpointMetadata, id: String) throws -> [String: String] {
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        var out: [String: String] = [
            "format": "ttad-checkpoint",
            "format_version": String(m.formatVersion),
            "id": id,
            "architecture": String(decoding: try json.encode(m.architecture), as: UTF8.self),
            "robot": m.robot,
            "created_at": String(m.createdAt),
            "metrics": String(decoding: try json.encode(m.metrics), as: UTF8.self),
            "step": String(m.step),
        ]
        if let parent = m.parent { out["parent"] = parent }
        if !m.notes.isEmpty { out["notes"] = String(decoding: try json.encode(m.notes), as: UTF8.self) }
        return out
    }

    private static func decode(_ s: [String: String], path: String) throws -> CheckpointMetadata {
        func bad(_ why: String) -> CheckpointError { .damaged(path: path, reason: why) }
        guard s["format"] == "ttad-checkpoint" else { throw bad("not a ttad checkpoint (metadata \"format\" missing)") }
        guard let version = s["format_version"].flatMap(Int.init) else { throw bad("format_version missing") }
        guard version <= formatVersion else { throw CheckpointError.unsupportedVersion(path: path, version: version) }
        let json = JSONDecoder()
        guard let a = s["architecture"], let arch = try? json.decode(PolicyConfig.self, from: Data(a.utf8)) else {
            throw bad("architecture missing or unreadable")
        }
        guard let createdAt = s["created_at"].flatMap(Double.init), let step = s["step"].flatMap(Int.init) else {
            throw bad("created_at or step missing")
        }
        let metrics = s["metrics"].flatMap { try? json.decode([String: Double].self, from: Data($0.utf8)) } ?? [:]
        let notes = s["notes"].flatMap { try? json.decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        return CheckpointMetadata(architecture: arch, robot: s["robot"] ?? "", parent: s["parent"], createdAt: createdAt,
                                  metrics: metrics, step: step, notes: notes, formatVersion: version)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The stored demonstrations: `<directory>/<robot>/<id>.safetensors`, one file per recorded or
/// added set (docs/demonstration-format.md). Writes are atomic (`AtomicFile`); every read checks
/// the file's checksums, and a damaged file is reported by name and skipped, never used.
///
/// Safe to share between threads: each call works on whole files, and a file is replaced only by
/// rename, so a reader sees a whole file or none.
public final class DemonstrationStore: Sendable {
    /// `<state>/demonstrations`.
    public let directory: String

    /// A stored file that could not be used, and why.
    public struct Damaged: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    public init(directory: String) {
        self.directory = directory
    }

    /// Stores `set` under a new id and returns the id.
    @discardableResult
    public func save(_ set: DemonstrationSet) throws -> String {
        let id = "demo-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let folder = try folder(robot: set.robot)
        try AtomicFile.write(try DemonstrationFile.encode(set), directory: folder, name: "\(id).safetensors")
        return id
    }

    /// Every readable set (optionally of one robot and task family), oldest first, and every
    /// damaged file. Temp files of an interrupted write (`.<name>.tmp-...`) are not sets.
    public func load(robot: String? = nil, task: String? = nil) -> (sets: [(id: String, set: DemonstrationSet)], damaged: [Damaged]) {
        var sets: [(id: String, set: DemonstrationSet)] = [], damaged: [Damaged] = []
        let robots = robot.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for name in robots where !name.hasPrefix(".") {
            let folder = directory + "/" + name
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            for file in files where !file.hasPrefix(".") && file.hasSuffix(".safetensors") {
                let path = folder + "/" + file
                do {
                    let set = try DemonstrationFile.decode(try AtomicFile.read(path).bytes, stored: true)
                    guard set.robot == name else {
                        damaged.append(Damaged(path: path, reason: "it says robot \(set.robot) but lies in \(name)'s folder"))
                        continue
                    }
                    if let task, set.task != task { continue }
                    sets.append((String(file.dropLast(".safetensors".count)), set))
                } catch {
                    damaged.append(Damaged(path: path, reason: "\(error)"))
                }
            }
        }
        return (sets.sorted { ($0.set.createdAt, $0.id) < ($1.set.createdAt, $1.id) }, damaged)
    }

    /// Removes set `id` (whatever robot it belongs to; also a damaged one). Throws `notFound`.
    public func remove(id: String) throws {
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), !id.isEmpty else { throw CheckpointError.invalidID(id) }
        let robots = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in robots where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)/\(id).safetensors"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard unlink(path) == 0 else { throw CheckpointError.io(path: path, operation: "remove", errno: errno) }
            try AtomicFile.syncDirectory("\(directory)/\(name)")
            return
        }
        throw CheckpointError.notFound(id: id)
    }

    /// `<directory>/<robot>`, created (and the creation made durable) when missing.
    private func folder(robot: String) throws -> String {
        guard !robot.isEmpty, robot.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !robot.hasPrefix(".") else {
            throw CheckpointError.invalidID(robot)
        }
        let folder = directory + "/" + robot
        if !FileManager.default.fileExists(atPath: folder) {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw CheckpointError.cannotCreateDirectory(path: folder, reason: error.localizedDescription)
            }
            try AtomicFile.syncDirectory(directory)
        }
        return folder
    }
}

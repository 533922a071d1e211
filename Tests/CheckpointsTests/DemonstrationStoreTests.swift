import Foundation
import Testing
@testable import Checkpoints

/// The demonstration store (docs/demonstration-format.md): whole files only, checked on every load.
@Suite struct DemonstrationStoreTests {
    static func set(robot: String = "arm", task: String = "reach", episodes: [Int] = [3, 2]) -> DemonstrationSet {
        let steps = episodes.reduce(0, +)
        return DemonstrationSet(robot: robot, task: task, source: "operator", successes: episodes.indices.map { $0 % 2 == 0 },
                                createdAt: 1_700_000_000.5, observationSize: 3, actionSize: 2,
                                observations: (0..<(3 * steps)).map { Float($0) * 0.25 }, actions: (0..<(2 * steps)).map { -Float($0) },
                                episodeLengths: episodes)
    }

    static func directory() -> String { NSTemporaryDirectory() + "ttad-demos-\(UUID().uuidString.prefix(8))" }

    @Test func aStoredSetReadsBackExactlyAndIsListedByRobotAndTask() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = DemonstrationStore(directory: dir)
        let id = try store.save(Self.set())
        try store.save(Self.set(task: "push"))
        try store.save(Self.set(robot: "other"))
        let loaded = store.load(robot: "arm", task: "reach")
        #expect(loaded.damaged.isEmpty)
        #expect(loaded.sets.map(\.id) == [id])
        #expect(loaded.sets.first?.set == Self.set())
        #expect(store.load().sets.count == 3)
        let summary = DemonstrationSummary(id: id, set: Self.set())
        #expect(summary.episodes == 2 && summary.steps == 5 && summary.successes == 1)
        try store.remove(id: id)
        #expect(store.load(robot: "arm", task: "reach").sets.isEmpty)
        #expect(throws: CheckpointError.notFound(id: id)) { try store.remove(id: id) }
    }

    @Test func aDamagedFileIsReportedByNameAndSkipped() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = DemonstrationStore(directory: dir)
        let good = try store.save(Self.set())
        let bad = try store.save(Self.set(episodes: [4]))
        let path = "\(dir)/arm/\(bad).safetensors"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let loaded = store.load(robot: "arm")
        #expect(loaded.sets.map(\.id) == [good])
        #expect(loaded.damaged.map(\.path) == [path])
        #expect(loaded.damaged.first?.reason.contains("checksum mismatch") == true, "\(loaded.damaged)")
        // A truncated file (as a torn write would leave, were writes not atomic) too.
        try Data(bytes.prefix(40)).write(to: URL(fileURLWithPath: path))
        #expect(store.load(robot: "arm").damaged.map(\.path) == [path])
    }

    @Test func aLeftoverTempFileIsNotASet() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = DemonstrationStore(directory: dir)
        try store.save(Self.set())
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(dir)/arm/.demo-x.safetensors.tmp-99999-1"))
        let loaded = store.load()
        #expect(loaded.sets.count == 1 && loaded.damaged.isEmpty)
    }

    @Test func aClientsFileIsCheckedFieldByField() throws {
        var set = Self.set()
        #expect(set.problem(observationSize: 3, actionSize: 2) == nil)
        #expect(set.problem(observationSize: 4, actionSize: 2)?.field == "observations")
        #expect(set.problem(observationSize: 3, actionSize: 1)?.field == "actions")
        set.episodeLengths = [3, 3]
        #expect(set.problem(observationSize: 3, actionSize: 2)?.message == "sum to 6, but observations has 5 steps")
        set = Self.set()
        set.actions[3] = .nan
        #expect(set.problem(observationSize: 3, actionSize: 2)?.message == "step 1 value 1 is nan")
        // A file without checksums (as a client may write it) reads; a stated checksum that does not match does not.
        let bytes = try DemonstrationFile.encode(Self.set())
        let decoded = try DemonstrationFile.decode(bytes, stored: false, fallback: ("arm", "reach", "x.npz"))
        #expect(decoded.observations == Self.set().observations && decoded.episodeLengths == [3, 2])
        var flipped = bytes
        flipped[flipped.count - 1] ^= 0x01
        #expect(throws: DemonstrationFile.Problem.self) { try DemonstrationFile.decode(flipped, stored: false, fallback: ("arm", "reach", "x.npz")) }
    }
}

import Checkpoints
import Foundation
import Testing
@testable import Adaptation

/// The engine's side of start-up and checkpoint bookkeeping, on the real reacher and real files.
@Suite struct EngineStartupTests {
    static func candidate(_ engine: AdaptationEngine, seeds: Range<Int>) throws -> String? {
        let start = engine.liveCheckpoint
        for i in seeds where engine.liveCheckpoint == start {
            _ = try engine.run(AdaptationEngineTests.plan(i), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        }
        return engine.liveCheckpoint == start ? nil : engine.liveCheckpoint
    }

    @Test("a candidate's step is its parent's step + 1 (updates since the base policy), not Adam's count")
    func stepCountsUpdatesSinceTheBasePolicy() throws {
        let dir = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let store = try CheckpointStore(directory: dir + "/state/checkpoints/reacher2")
        let base = try #require(engine.liveCheckpoint)
        #expect(try store.info(id: base).metadata.step == 0)
        let first = try #require(try Self.candidate(engine, seeds: 0..<40))
        let second = try #require(try Self.candidate(engine, seeds: 40..<80))
        for id in [first, second] {
            let meta = try store.info(id: id).metadata
            let parent = try store.info(id: try #require(meta.parent)).metadata
            #expect(meta.step == parent.step + 1, "\(id): step \(meta.step), parent \(meta.parent!) step \(parent.step)")
        }
        // A rollback resets the optimizer, not the lineage: the next candidate counts from its parent.
        _ = try engine.rollback(to: base, reason: "test", observer: nil)
        let third = try #require(try Self.candidate(engine, seeds: 80..<120))
        let meta = try store.info(id: third).metadata
        #expect(meta.parent == base && meta.step == 1, "\(meta)")
        let adam = try store.load(id: third).optimizer.first { $0.name == "adam.step" }
        #expect(adam?.values.first.map { Int($0) } != nil, "Adam's own count stays in the adam.step tensor")
    }

    @Test("a start-up fallback is degraded, reported once as a rollback event, and cleared by the robot's next promotion")
    func aStartupFallbackClearsOnTheNextPromotion() throws {
        // A gate that promotes as soon as a candidate has run one task.
        let dir = try AdaptationEngineTests.robotFolder(adaptation: "  gate_min_attempts: 1\n  gate_margin: 1\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base: String
        do {
            let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
            base = try #require(engine.liveCheckpoint)
        }
        try Data("garbage\0\n".utf8).write(to: URL(fileURLWithPath: dir + "/state/checkpoints/reacher2/LAST_GOOD"))
        let messages = MessageBox()
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2",
                                          log: { messages.append($0) })
        #expect(engine.liveCheckpoint == base, "the reference: nothing else was ever good")
        #expect(engine.degradedReason?.contains("LAST_GOOD") == true, "\(engine.degradedReason ?? "nil")")
        let events = engine.takeStartupEvents()
        #expect(events.count == 1 && events.first?.kind == .rollback && events.first?.checkpoint == base, "\(events)")
        #expect(engine.takeStartupEvents().isEmpty, "reported once")
        #expect(messages.all.contains { $0.contains("fell back to \(base)") }, "\(messages.all)")
        #expect(messages.notes.filter { $0.message.contains("fell back") }.allSatisfy { $0.severity == .warning },
                "a fallback needs a person: a warning in journald")

        // A candidate, then a task on it that the lenient gate promotes.
        _ = try #require(try Self.candidate(engine, seeds: 0..<40))
        #expect(engine.degradedReason != nil, "a candidate alone is no promotion")
        for i in 40..<50 where engine.lastGoodCheckpoint == base {
            _ = try engine.run(AdaptationEngineTests.plan(i), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        }
        #expect(engine.lastGoodCheckpoint != base, "promoted")
        #expect(engine.degradedReason == nil, "\(engine.degradedReason ?? "")")
    }
}

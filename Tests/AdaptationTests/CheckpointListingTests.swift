import Checkpoints
import Foundation
import Testing
@testable import Adaptation

/// `checkpoints` (what `ttactl checkpoints` shows) on the real engine and reacher2.
@Suite struct CheckpointListingTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/wire-protocol.md").path

    /// Runs tasks until an accepted update's candidate is live, then promotes it as a person would.
    static func promoteNextCandidate(_ engine: AdaptationEngine, from first: Int) throws -> (String, Int) {
        var i = first
        while engine.liveCheckpoint == engine.lastGoodCheckpoint, i < first + 40 {
            _ = try engine.run(AdaptationEngineTests.plan(i), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
            i += 1
        }
        let candidate = try #require(engine.liveCheckpoint)
        try #require(candidate != engine.lastGoodCheckpoint, "within 40 tasks an update was accepted")
        #expect(engine.checkpoints().first { $0.id == candidate }?.state == .candidate, "not good until judged")
        try engine.rollback(to: candidate, reason: "test", observer: nil)
        return (candidate, i)
    }

    @Test func everyCheckpointIsListedUnderOneOfTheStatesTheWireProtocolNamesAndAnUnreadableFileIsDamaged() throws {
        let dir = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let initial = try #require(engine.liveCheckpoint)
        let (first, next) = try Self.promoteNextCandidate(engine, from: 0)
        let (second, _) = try Self.promoteNextCandidate(engine, from: next)
        // A file whose header does not read, as a torn copy leaves it.
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: dir + "/state/checkpoints/reacher2/torn.safetensors"))

        let states = Dictionary(uniqueKeysWithValues: engine.checkpoints().map { ($0.id, $0.state) })
        #expect(states[second] == .good)
        #expect(states[first] == .wasGood)
        #expect(states[initial] == .reference)
        #expect(states["torn"] == .damaged)
        #expect(engine.checkpoints().first { $0.id == second }?.isLive == true)

        // docs/wire-protocol.md names exactly the states the code has.
        let text = try String(contentsOfFile: Self.docs, encoding: .utf8)
        let paragraph = try #require(text.components(separatedBy: "\n\n").first { $0.contains("checkpoint `state`") }, "the docs explain the checkpoint states")
        let line = paragraph.replacingOccurrences(of: "\n", with: " ")
        for state in CheckpointState.allCases {
            #expect(line.contains("`\(state.rawValue)`"), "docs/wire-protocol.md names `\(state.rawValue)`")
        }
    }
}

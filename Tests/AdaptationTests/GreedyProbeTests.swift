import Foundation
import Robots
import Testing
@testable import Adaptation

/// The gate's greedy probe (`gate_probe_tasks`): the rule, and the engine running it on the real
/// simulated reacher before a promotion.
@Suite struct GreedyProbeTests {
    static let key = GreedyProbe.Key(task: "reach", params: [:], dynamics: [:])

    static func record(_ id: String, _ solved: [Bool]) -> GreedyProbe.Record {
        GreedyProbe.Record(checkpoint: id, key: key, solved: solved)
    }

    @Test("a candidate passes with at least as many probe tasks solved as the last good checkpoint, and fails with one fewer")
    func theRule() {
        let good = Self.record("good", [true, false, true, false])
        let same = GreedyProbe.verdict(candidate: Self.record("c", [false, true, true, false]), lastGood: good)
        #expect(same == .pass("greedy probe: 2 of 4 probe tasks solved, against 2 by the last good checkpoint good"))
        let fewer = GreedyProbe.verdict(candidate: Self.record("c", [true, false, false, false]), lastGood: good)
        #expect(fewer == .fail("greedy probe: 1 of 4 probe tasks solved, against 2 by the last good checkpoint good"))
    }

    @Test("a probe attempt counts as solved only on its own; a fault, e-stop or cancel makes the probe say nothing")
    func whatCountsAsSolved() {
        func report(_ index: Int, success: Bool, interruption: AttemptInterruption? = nil, intervened: Int = 0) -> AttemptReport {
            AttemptReport(index: index, temperature: 0, steps: 10, success: success, reward: success ? 1 : 0, interruption: interruption,
                          checkpoint: "c", intervenedSteps: intervened)
        }
        let plain = [report(1, success: false), report(0, success: true), report(2, success: true, intervened: 3)]
        #expect(GreedyProbe.solved(plain, expected: 3) == [true, false, false], "in task order; a person's help is no success")
        let safety = plain + [report(3, success: false, interruption: .aborted(.safety("joint 0 past its limit")))]
        #expect(GreedyProbe.solved(safety, expected: 4) == [true, false, false, false], "a safety abort is the policy's failure")
        #expect(GreedyProbe.solved(plain + [report(3, success: false, interruption: .aborted(.hardwareFault("reset failed")))], expected: 4) == nil)
        #expect(GreedyProbe.solved(plain + [report(3, success: false, interruption: .aborted(.estop))], expected: 4) == nil)
        #expect(GreedyProbe.solved(plain + [report(3, success: false, interruption: .cancelled)], expected: 4) == nil)
        #expect(GreedyProbe.solved(plain, expected: 4) == nil, "fewer attempts than asked: cut short")
    }

    @Test("gate_probe_tasks is read from the adaptation section, 0 to 1000, and only where the robot judges success")
    func theSetting() throws {
        #expect(AdaptationSettings().gateProbeTasks == 0, "off by default")
        let sections = RobotConfigSectionTests()
        #expect(try sections.load(section: "adaptation", line: "gate_probe_tasks: 16") == "accepted")
        let message = try sections.load(section: "adaptation", line: "gate_probe_tasks: 1001")
        #expect(message.contains("reacher2.yaml: adaptation.gate_probe_tasks: expected an integer from 0 to 1000, found \"1001\""), "\(message)")
        let judged = try sections.load(section: "adaptation", line: "gate_probe_tasks: 8\n  success_judged_by: operator")
        #expect(judged.contains("reacher2.yaml: adaptation.gate_probe_tasks: needs success_judged_by: robot"), "\(judged)")
    }

    /// An engine whose gate promotes a candidate after one task (margin 1: never a rollback of its
    /// own), with the probe on; the live checkpoint at the start.
    static func engine(probeTasks: Int, messages: MessageBox) throws -> (AdaptationEngine, String, String) {
        let dir = try AdaptationEngineTests.robotFolder(adaptation: "  gate_min_attempts: 1\n  gate_margin: 1\n  gate_probe_tasks: \(probeTasks)\n")
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2",
                                          log: { messages.append($0) })
        return (engine, dir, try #require(engine.liveCheckpoint))
    }

    /// The live policy's greedy outcomes on the probe tasks, measured as a person would: an evaluation of the probe set.
    static func probeSetSuccesses(_ engine: AdaptationEngine, tasks: Int) throws -> Int {
        let outcome = try engine.run(EvaluationRunTests.evaluation("e-\(UUID().uuidString.prefix(6))", tasks: tasks, seed: GreedyProbe.taskSet),
                                     observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation())
        return outcome.attempts.filter(\.success).count
    }

    @Test("before a promotion the candidate and the last good checkpoint are probed greedily on the same tasks, and the verdict follows the rule")
    func theEngineProbesBeforeAPromotion() throws {
        let messages = MessageBox()
        let (engine, dir, good) = try Self.engine(probeTasks: 12, messages: messages)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let goodSolved = try Self.probeSetSuccesses(engine, tasks: 12)
        let candidate = try #require(try EngineStartupTests.candidate(engine, seeds: 0..<40))
        let candidateSolved = try Self.probeSetSuccesses(engine, tasks: 12)

        // The next task runs on the candidate; the gate would promote it; the probe decides.
        let recorder = AdaptationEngineTests.Recorder()
        let outcome = try engine.run(AdaptationEngineTests.plan(40), observer: recorder, cancellation: Cancellation())
        let text = "greedy probe: \(candidateSolved) of 12 probe tasks solved, against \(goodSolved) by the last good checkpoint \(good)"
        if candidateSolved >= goodSolved {
            let promoted = try #require(recorder.events.first { $0.kind == .promoted })
            #expect(promoted.checkpoint == candidate && promoted.reason.hasSuffix(text), "\(promoted.reason)")
            #expect(engine.lastGoodCheckpoint == candidate)
        } else {
            let rollback = try #require(recorder.events.first { $0.kind == .rollback })
            #expect(rollback.checkpoint == good && rollback.from == candidate && rollback.reason == text, "\(rollback)")
            #expect(outcome.update == .skipped(reason: "rolled back: " + text))
            #expect(engine.liveCheckpoint == good && engine.lastGoodCheckpoint == good)
        }
        #expect(recorder.attempts.count == 8 && outcome.attempts.count == 8, "the probe's attempts are not the task's")
        #expect(messages.all.filter { $0.contains("greedy probe of the last good checkpoint \(good)") }.count == 1, "\(messages.all)")
        #expect(messages.notes.filter { $0.message.contains("greedy probe") }.allSatisfy { $0.severity == .info },
                "a probe's record is routine, not a warning")

        // The next promotion compares with the record kept, without probing the last good checkpoint again.
        func verdicts() -> Int { recorder.events.filter { $0.reason.contains("greedy probe:") }.count }
        for i in 41..<120 where verdicts() < 2 {
            _ = try engine.run(AdaptationEngineTests.plan(i), observer: recorder, cancellation: Cancellation())
        }
        #expect(verdicts() == 2, "\(recorder.events)")
        #expect(messages.all.filter { $0.contains("greedy probe of the last good checkpoint") }.count == 1, "\(messages.all)")
    }

    @Test("a candidate that solves fewer probe tasks than the last good checkpoint is rolled back, and its task does not update")
    func fewerProbeTasksSolvedRollsBack() throws {
        let messages = MessageBox()
        let (engine, dir, good) = try Self.engine(probeTasks: 12, messages: messages)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let candidate = try #require(try EngineStartupTests.candidate(engine, seeds: 0..<40))
        let candidateSolved = try Self.probeSetSuccesses(engine, tasks: 12)
        try #require(candidateSolved < 12, "the reacher's candidate misses some probe task")
        // The last good checkpoint's record says it solved every probe task (as if measured so).
        let lineage = try #require(engine.lineages["reacher2"])
        engine.withLock { lineage.gate.probe = Self.record(good, Array(repeating: true, count: 12)) }

        let recorder = AdaptationEngineTests.Recorder()
        let outcome = try engine.run(AdaptationEngineTests.plan(40), observer: recorder, cancellation: Cancellation())
        let text = "greedy probe: \(candidateSolved) of 12 probe tasks solved, against 12 by the last good checkpoint \(good)"
        #expect(recorder.events.map(\.kind) == [.rollback], "\(recorder.events)")
        #expect(recorder.events.first?.reason == text && recorder.events.first?.from == candidate)
        #expect(outcome.update == .skipped(reason: "rolled back: " + text))
        #expect(engine.liveCheckpoint == good && engine.lastGoodCheckpoint == good)
        #expect(engine.withLock { lineage.gate.probe?.checkpoint } == good, "the last good checkpoint's record stays")
        #expect(!messages.all.contains { $0.contains("greedy probe of the last good checkpoint") }, "it was not probed again")
    }

    @Test("a last good record of another size (a reload changed gate_probe_tasks) or task is measured again, not compared", arguments: [
        GreedyProbe.Record(checkpoint: "GOOD", key: key, solved: [true, true, true, true]),
        GreedyProbe.Record(checkpoint: "GOOD", key: GreedyProbe.Key(task: "reach", params: [:], dynamics: ["damping_scale": 2]),
                           solved: Array(repeating: true, count: 12)),
    ])
    func aStaleRecordIsMeasuredAgain(stale: GreedyProbe.Record) throws {
        let messages = MessageBox()
        let (engine, dir, good) = try Self.engine(probeTasks: 12, messages: messages)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try #require(try EngineStartupTests.candidate(engine, seeds: 0..<40))
        let lineage = try #require(engine.lineages["reacher2"])
        var record = stale
        record.checkpoint = good
        engine.withLock { lineage.gate.probe = record }
        let recorder = AdaptationEngineTests.Recorder()
        _ = try engine.run(AdaptationEngineTests.plan(40), observer: recorder, cancellation: Cancellation())
        #expect(messages.all.contains { $0.contains("greedy probe of the last good checkpoint \(good)") }, "\(messages.all)")
        let verdict = try #require(recorder.events.first { $0.reason.contains("greedy probe:") })
        #expect(verdict.reason.contains(" of 12 probe tasks solved"), "\(verdict.reason)")
    }

    /// Presses the e-stop at the first heartbeat after the task's own attempts have all finished:
    /// that is, inside the probe, whose attempts report nothing else.
    final class EstopDuringProbe: AdaptationObserver {
        let cancellation: Cancellation, attempts: Int
        var finished = 0
        var events: [CheckpointEvent] = []
        init(_ cancellation: Cancellation, attempts: Int) { self.cancellation = cancellation; self.attempts = attempts }
        func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
        func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) { finished += 1 }
        func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) {}
        func checkpointEvent(_ event: CheckpointEvent, taskId: String?) { events.append(event) }
        func heartbeat() { if finished == attempts { cancellation.cancel(.estop) } }
    }

    @Test("an e-stop during the probe stops it: no promotion, no rollback, and the task does not update")
    func anEstopDuringTheProbeDecidesNothing() throws {
        let messages = MessageBox()
        let (engine, dir, good) = try Self.engine(probeTasks: 12, messages: messages)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let candidate = try #require(try EngineStartupTests.candidate(engine, seeds: 0..<40))
        let cancellation = Cancellation()
        let observer = EstopDuringProbe(cancellation, attempts: 8)
        let outcome = try engine.run(AdaptationEngineTests.plan(40), observer: observer, cancellation: cancellation)
        #expect(cancellation.reason == .estop, "the probe ran (its heartbeats reached the observer)")
        #expect(outcome.attempts.count == 8 && outcome.attempts.allSatisfy { $0.interruption == nil }, "the task's own attempts had ended")
        #expect(observer.finished == 8, "no probe attempt is reported as the task's")
        #expect(observer.events.isEmpty, "\(observer.events)")
        #expect(outcome.update == .skipped(reason: "the task was cut short"))
        #expect(engine.liveCheckpoint == candidate && engine.lastGoodCheckpoint == good, "still on probation")
        #expect(messages.all.contains { $0.contains("candidate \(candidate) not promoted yet: the probe of the last good checkpoint \(good) was cut short") },
                "\(messages.all)")
    }
}

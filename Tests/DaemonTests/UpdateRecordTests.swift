import Adaptation
import Foundation
import History
import Learning
import TTADTesting
import Testing
import Wire
@testable import Daemon

/// An update is defined once (the trainer's `UpdateReport`) and copied once per boundary: every
/// number reaches the history row and the wire copy under its own name, and the `update_finished`
/// event says what a later `task` reply says.
@Suite(.serialized) struct UpdateRecordTests {
    @Test func everyNumberTheTrainerReportsReachesTheHistoryAndTheWireUnderItsName() throws {
        var report = UpdateReport(accepted: true, policyLoss: -0.0123, approxKL: 0.0045, clipFraction: 0.125, gradNorm: 0.678,
                                  entropy: 1.234, klToReference: 0.0067, epochs: 3, samples: 321, earlyStopped: true, seconds: 0.089)
        report.learningRate = 3.3e-4
        let path = NSTemporaryDirectory() + "update-record-\(UUID().uuidString.prefix(8)).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try HistoryStore(path: path)
        try store.insert(TaskRow(id: "t", robot: "reacher2", task: "reach", paramsJSON: "{}", dynamicsJSON: "{}", attempts: 8,
                                 temperatureBase: 0.6, temperatureRange: 0.3, rewardMode: "efficiency", adapt: true, priority: 0,
                                 seed: 7, state: .queued, submittedAt: 1))
        let row = try #require(UpdateRow(summary: .ran(report: report, parent: "ck-0", candidate: "ck-1"), taskId: "t", at: 2))
        try store.record(row)
        let stored = try #require(try store.updates(taskId: "t").first)
        let wire = try WireCoding.encoder.encode(UpdateInfo(stored))

        // Each field of the report's JSON is in the wire copy's JSON with the same value.
        let reported = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        let sent = try #require(try JSONSerialization.jsonObject(with: wire) as? [String: Any])
        for (key, value) in reported {
            #expect(sent[key].map { "\($0)" } == "\(value)", "\(key): trainer \(value), wire \(sent[key].map { "\($0)" } ?? "absent")")
        }
        let info = try WireCoding.decoder.decode(UpdateInfo.self, from: wire)
        #expect(info.parent == "ck-0" && info.candidate == "ck-1" && info.skipped == nil)
        #expect(info.approxKL == report.approxKL && info.klToReference == report.klToReference)
        #expect(info.samples == report.samples && info.earlyStopped == report.earlyStopped)

        #expect(UpdateRow(summary: .skipped(reason: "adapt is off"), taskId: "t", at: 3) == nil, "a skipped update has no row")
    }

    @Test func theUpdateFinishedEventCarriesWhatTheTaskReplyRecords() throws {
        let daemon = try DaemonProcess.serving()
        let events = try daemon.subscribe()

        // Submit until a group mixes successes and failures, so that an update surely runs.
        var ran: (task: TaskInfo, event: UpdateInfo)?
        var skipped: (task: TaskInfo, event: UpdateInfo)?
        for seed in 0..<20 where ran == nil {
            let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 8, seed: UInt64(seed))).taskId
            let task = try daemon.waitForTask(id)
            let update = try events.events(until: { $0.taskId == id && $0.kind == .updateFinished }, deadline: .seconds(5)).last
            let event = try #require(update?.kind == .updateFinished ? update?.update : nil, "no update_finished event with an update for \(id)")
            if task.updates.isEmpty { skipped = (task, event) } else { ran = (task, event) }
        }
        let (task, event) = try #require(ran, "no update ran in 20 tasks\n\(daemon.log)")
        let recorded = try #require(task.updates.first)
        #expect(event == recorded, "event \(event)\nreply \(recorded)")
        #expect(recorded.klToReference != nil && recorded.earlyStopped != nil && recorded.learningRate != nil, "\(recorded)")
        #expect(recorded.samples == task.attempts.map(\.steps).reduce(0, +), "the update learns from every step of the group")
        #expect(recorded.parent == task.checkpoint)
        if recorded.accepted, let samples = recorded.samples {
            let shown = try TTACtlRunner.run(["task", task.taskId, "--endpoint", daemon.endpoint])
            #expect(shown.output.contains("over \(samples) steps"), "ttactl task shows the update's samples: \(shown.output)")
        }
        if let (task, event) = skipped {
            #expect(event.skipped != nil && !event.accepted && task.updates.isEmpty, "a skipped update is announced, not recorded")
        }
        #expect(daemon.terminate() == 0)
    }
}

import Foundation
import Testing
import TTADTesting
import Wire

/// `ttactl export` (the real binary) against a real daemon on a seeded history and on a task it ran.
@Suite(.serialized) struct TTACtlExportTests {
    @Test func exportStreamsEveryTaskAndAttemptAcrossPagesAsCSVAndJSONL() throws {
        let state = try SeededHistory.stateDirectory(tasks: 1_200)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try DaemonProcess.serving(stateDirectory: state)

        // Three pages of 500 tasks: every task once, newest first.
        let tasks = try TTACtlRunner.run(["export", "--format", "csv", "--page-size", "500", "--endpoint", daemon.endpoint])
        #expect(tasks.status == 0, "\(tasks.errors)")
        let lines = tasks.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.first.map(String.init) == "task_id,kind,robot,task,state,detail,submitted_at,started_at,finished_at,attempts,temperature_base,"
            + "temperature_range,reward_mode,adapt,priority,checkpoint,candidate,success_rate,mean_reward,params,dynamics")
        #expect(lines.count == 1 + 1_200)
        #expect(Set(lines.dropFirst().map { $0.prefix(13) }).count == 1_200, "each task exactly once")
        #expect(lines[1].hasPrefix("t-seed001199,training,reacher2,reach,done,,"), "newest first: \(lines[1])")
        // A JSON column with commas inside is quoted.
        #expect(lines[1].hasSuffix(#","{""target_x"":0.1,""target_y"":0.12}","{""damping_scale"":3}""#), "\(lines[1])")
        #expect(tasks.errors.contains("exported 1200 tasks"))

        let attempts = try TTACtlRunner.run(["export", "--format", "jsonl", "--kind", "attempts", "--page-size", "500", "--endpoint", daemon.endpoint])
        #expect(attempts.status == 0, "\(attempts.errors)")
        let rows = attempts.output.split(separator: "\n")
        #expect(rows.count == 1_200 * 8)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(rows[0].utf8)) as? [String: Any])
        #expect(first["task_id"] as? String == "t-seed001199")
        #expect(first["index"] as? Int == 0 && first["success"] as? Bool == true && first["reward"] as? Double == 0.8)
        #expect(first["abort_reason"] is NSNull)
        #expect(Set(first.keys) == ["task_id", "robot", "task", "index", "temperature", "steps", "success", "reward", "abort_reason", "checkpoint",
                                    "outcome", "label", "labelled_at", "labelled_by", "label_late", "intervened_steps",
                                    "interventions_past_limits"])
        #expect(first["intervened_steps"] is NSNull, "no person drove a step of these attempts")
        #expect(daemon.terminate() == 0)
    }

    @Test func exportSinceKeepsOnlyLaterTasksAndBadOptionsAreNamed() throws {
        let state = try SeededHistory.stateDirectory(tasks: 300)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try DaemonProcess.serving(stateDirectory: state)
        // Half a second before the 100th newest task's submit time (tasks are a second apart): --since
        // keeps it and the 99 after it.
        let all = try TTACtlRunner.run(["export", "--format", "csv", "--endpoint", daemon.endpoint])
        let hundredth = try #require(Double(all.output.split(separator: "\n")[100].split(separator: ",")[6]))
        let recent = try TTACtlRunner.run(["export", "--format", "csv", "--since", "@\(hundredth - 0.5)", "--endpoint", daemon.endpoint])
        #expect(recent.status == 0, "\(recent.errors)")
        #expect(recent.output.split(separator: "\n").count - 1 == 100)

        let badFormat = try TTACtlRunner.run(["export", "--format", "xml", "--endpoint", daemon.endpoint])
        #expect(badFormat.status != 0 && badFormat.errors.contains("--format xml"))
        let badKind = try TTACtlRunner.run(["export", "--format", "csv", "--kind", "robots", "--endpoint", daemon.endpoint])
        #expect(badKind.status != 0 && badKind.errors.contains("--kind robots"))
        let badSince = try TTACtlRunner.run(["export", "--format", "csv", "--since", "yesterday", "--endpoint", daemon.endpoint])
        #expect(badSince.status != 0 && badSince.errors.contains("--since yesterday"))
        #expect(daemon.terminate() == 0)
    }

    @Test func exportOfUpdatesAndCheckpointEventsCarriesWhatATaskCaused() throws {
        let daemon = try DaemonProcess.serving()
        // Seed 4 mixes successes and failures on the shipped checkpoint: the task makes an update.
        let accepted = try daemon.submit(SubmitArgs(task: "reach", attempts: 4, seed: 4))
        let info = try daemon.waitForTask(accepted.taskId)
        let updates = try TTACtlRunner.run(["export", "--format", "jsonl", "--kind", "updates", "--endpoint", daemon.endpoint])
        #expect(updates.status == 0, "\(updates.errors)")
        let lines = updates.output.split(separator: "\n")
        #expect(lines.count == info.updates.count)
        let update = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(update["task_id"] as? String == accepted.taskId)
        // Equal up to the last bit Foundation's JSON readers may round differently.
        let kl = try #require(update["approx_kl"] as? Double)
        #expect(abs(kl - info.updates[0].approxKL) <= 1e-15 * abs(info.updates[0].approxKL))
        let events = try TTACtlRunner.run(["export", "--format", "csv", "--kind", "checkpoint-events", "--endpoint", daemon.endpoint])
        #expect(events.status == 0, "\(events.errors)")
        let rows = events.output.split(separator: "\n").dropFirst()
        #expect(rows.count == (info.checkpointEvents ?? []).count)
        for event in info.checkpointEvents ?? [] {
            #expect(rows.contains { $0.contains(",\(event.kind),") && $0.hasSuffix(",\(accepted.taskId)") })
        }
        #expect(daemon.terminate() == 0)
    }
}

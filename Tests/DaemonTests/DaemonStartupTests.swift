import Foundation
import Testing
import TTADTesting
import Wire

/// Start-up when something on disk is wrong: a damaged `LAST_GOOD`, damaged good checkpoints,
/// temp files of a killed write, a bad robot-config. The daemon starts, says what it did, and stays
/// `degraded` until a person acknowledges it. A real `ttad` on its real state directory each time.
@Suite(.serialized) struct DaemonStartupTests {
    /// A state directory whose reacher2 lineage has its base checkpoint and a candidate a person
    /// made good with `rollback --to` (so the history knows it was good), made once and copied.
    struct Prepared {
        let stateDirectory: String
        let base: String
        let candidate: String
        /// Every checkpoint file reacher2 had when the daemon stopped.
        let files: [String]
    }

    struct PrepareFailed: Error, CustomStringConvertible { let description: String }

    static let prepared: Result<Prepared, PrepareFailed> = Result { () throws(PrepareFailed) -> Prepared in
        do { return try prepare() } catch { throw PrepareFailed(description: "\(error)") }
    }

    static func prepare() throws -> Prepared {
        let state = NSTemporaryDirectory() + "ttad-startup-\(UUID().uuidString.prefix(8))"
        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let client = try daemon.client()
        guard let base = try client.call(Request(operation: .status), as: StatusResult.self).checkpoint else {
            throw PrepareFailed(description: "no live checkpoint")
        }
        var candidate: String?
        for seed in 1...40 where candidate == nil {
            let accepted = try client.call(Request(operation: .submit, args: .submit(
                SubmitArgs(task: "reach", attempts: 8, adapt: true, seed: UInt64(seed)))), as: SubmitResult.self)
            candidate = try daemon.waitForTask(accepted.taskId).updates.compactMap(\.candidate).first
        }
        guard let chosen = candidate else { throw PrepareFailed(description: "no accepted update within 40 tasks") }
        _ = try client.call(Request(operation: .rollback, args: .rollback(RollbackArgs(checkpoint: chosen, reason: "test: a person trusts it"))),
                            as: AckResult.self)
        // Then one more candidate, never judged good: the newest file, which start-up must not pick.
        var newer: String?
        for seed in 41...80 where newer == nil {
            let accepted = try client.call(Request(operation: .submit, args: .submit(
                SubmitArgs(task: "reach", attempts: 8, adapt: true, seed: UInt64(seed)))), as: SubmitResult.self)
            newer = try daemon.waitForTask(accepted.taskId).updates.compactMap(\.candidate).first
        }
        guard newer != nil else { throw PrepareFailed(description: "no second accepted update within 40 tasks") }
        guard daemon.terminate() == 0 else { throw PrepareFailed(description: "the daemon did not stop cleanly: \(daemon.log)") }
        let files = try FileManager.default.contentsOfDirectory(atPath: state + "/checkpoints/reacher2")
            .filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }
        return Prepared(stateDirectory: state, base: base, candidate: chosen, files: files)
    }

    /// A fresh copy of the prepared state directory.
    static func copyOfPrepared() throws -> (Prepared, String) {
        let prepared = try Self.prepared.get()
        let copy = NSTemporaryDirectory() + "ttad-startup-\(UUID().uuidString.prefix(8))"
        try FileManager.default.copyItem(atPath: prepared.stateDirectory, toPath: copy)
        return (prepared, copy)
    }

    static func lastGoodLines(_ state: String) -> [String] {
        ((try? String(contentsOfFile: state + "/checkpoints/reacher2/LAST_GOOD", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    static func status(_ daemon: DaemonProcess) throws -> StatusResult {
        try daemon.client().call(Request(operation: .status), as: StatusResult.self)
    }

    /// Flips a bit in a checkpoint's tensor data (its last bytes), so its checksum fails.
    static func damage(_ state: String, _ id: String) throws {
        let path = state + "/checkpoints/reacher2/\(id).safetensors"
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 3] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    enum PointerDamage: String, CaseIterable, CustomTestStringConvertible {
        case empty, garbage, halfWritten = "half-written", deleted
        var testDescription: String { rawValue }
    }

    @Test("a damaged LAST_GOOD: starts on the newest once-good checkpoint, rewrites the pointer, degraded until resume",
          arguments: PointerDamage.allCases)
    func aDamagedLastGoodStartsOnTheNewestOnceGoodCheckpoint(_ damage: PointerDamage) throws {
        let (prepared, state) = try Self.copyOfPrepared()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let pointer = state + "/checkpoints/reacher2/LAST_GOOD"
        #expect(Self.lastGoodLines(state).first == prepared.candidate)
        switch damage {
        case .empty: try Data().write(to: URL(fileURLWithPath: pointer))
        case .garbage: try Data([0x00, 0xff, 0xfe, 0x0a, 0x2e, 0x2e, 0x2f, 0x0a, 0x7f]).write(to: URL(fileURLWithPath: pointer))
        case .halfWritten:
            // The first line cut in the middle of the id, nothing after it.
            try Data(prepared.candidate.utf8.prefix(prepared.candidate.count - 3)).write(to: URL(fileURLWithPath: pointer))
        case .deleted: try FileManager.default.removeItem(atPath: pointer)
        }

        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let status = try Self.status(daemon)
        #expect(status.checkpoint == prepared.candidate, "the history knows the candidate was made good: \(daemon.log)")
        #expect(status.lastGoodCheckpoint == prepared.candidate)
        #expect(status.health == "degraded")
        #expect(status.healthReason?.contains("LAST_GOOD") == true, "\(status.healthReason ?? "nil")")
        #expect(status.healthReason?.contains(prepared.candidate) == true)
        #expect(status.healthReason?.unicodeScalars.contains { $0.value < 0x20 } == false, "garbage bytes are escaped, not passed on")
        #expect(Self.lastGoodLines(state).first == prepared.candidate, "the pointer is rewritten")
        #expect(daemon.log.contains("fell back to \(prepared.candidate)"), "the journal says what happened")

        _ = try daemon.client().call(Request(operation: .resume), as: AckResult.self)
        let after = try Self.status(daemon)
        #expect(after.health == "ok", "resume acknowledges the fallback: \(after.healthReason ?? "")")
        #expect(after.checkpoint == prepared.candidate)
        #expect(daemon.terminate() == 0)

        // The rewritten pointer holds: the next start is an ordinary one.
        let again = try DaemonProcess.serving(stateDirectory: state)
        let next = try Self.status(again)
        #expect(next.health == "ok", "\(next.healthReason ?? "")")
        #expect(next.checkpoint == prepared.candidate)
        #expect(again.terminate() == 0)
    }

    @Test("every good checkpoint damaged, candidates readable: starts on the shipped checkpoint, never a candidate")
    func everyGoodCheckpointDamagedStartsOnTheShippedOneNotACandidate() throws {
        let (prepared, state) = try Self.copyOfPrepared()
        defer { try? FileManager.default.removeItem(atPath: state) }
        try Self.damage(state, prepared.candidate)
        try Self.damage(state, prepared.base)
        let candidates = Set(prepared.files).subtracting([prepared.candidate, prepared.base])
        #expect(!candidates.isEmpty, "readable candidates that were never good are there to be (wrongly) picked")

        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let status = try Self.status(daemon)
        let live = try #require(status.checkpoint)
        #expect(!prepared.files.contains(live), "a new checkpoint from the shipped start, not one of \(prepared.files)")
        #expect(!candidates.contains(live))
        #expect(status.lastGoodCheckpoint == live)
        #expect(status.health == "degraded")
        #expect(status.healthReason?.contains("shipped starting checkpoint") == true, "\(status.healthReason ?? "nil")")
        #expect(status.healthReason?.contains("checksum") == true, "says why the good ones were refused")
        #expect(Self.lastGoodLines(state) == [live])
        // It runs: a task on the fallback works.
        let accepted = try daemon.client().call(Request(operation: .submit, args: .submit(
            SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: 3))), as: SubmitResult.self)
        #expect(try daemon.waitForTask(accepted.taskId).state == "done")
        #expect(daemon.terminate() == 0)
    }

    @Test("temp files that kill -9 left mid checkpoint write are removed at start-up")
    func leftoverTempFilesAreRemovedAtStartup() throws {
        let (prepared, state) = try Self.copyOfPrepared()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let folder = state + "/checkpoints/reacher2"
        let full = try #require(FileManager.default.contents(atPath: folder + "/\(prepared.candidate).safetensors"))
        // A process that is gone: the writer that was killed.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let leftovers = [".ckpt-1764000000000-s3-abcd.safetensors.tmp-\(gone.processIdentifier)-3735928559",
                         ".LAST_GOOD.tmp-\(gone.processIdentifier)-17"]
        for name in leftovers { try full.write(to: URL(fileURLWithPath: folder + "/" + name)) }

        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: folder))
        #expect(names.isDisjoint(with: leftovers), "\(names)")
        #expect(daemon.log.contains("removed 2 temp file(s)"), "\(daemon.log)")
        let status = try Self.status(daemon)
        #expect(status.health == "ok" && status.checkpoint == prepared.candidate)
        #expect(daemon.terminate() == 0)
    }
}

/// One bad robot-config must not take the other robots down.
@Suite(.serialized) struct DaemonRobotConfigStartupTests {
    /// A copy of the repository's robot-configs (models and shipped checkpoints linked) plus `extra` files.
    static func robotFolder(extra: [String: String], without: [String] = []) throws -> String {
        let dir = NSTemporaryDirectory() + "ttad-robots-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let repo = DaemonProcess.robotConfigs
        for name in try FileManager.default.contentsOfDirectory(atPath: repo) where !without.contains(name) {
            if name.hasSuffix(".yaml") {
                try FileManager.default.copyItem(atPath: repo + "/" + name, toPath: dir + "/" + name)
            } else {
                try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: repo + "/" + name)
            }
        }
        for (name, text) in extra { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test("a bad robot-config beside good ones: the daemon starts, serves the others, degraded naming the file; reload brings it back")
    func aBadRobotConfigIsSkippedAndTheOthersServed() throws {
        let robots = try Self.robotFolder(extra: ["broken.yaml": "backend:\n  type: mujoco\n  model: nowhere.xml\nno_such_key: 1\n"])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let status = try daemon.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(status.robots.contains("reacher2") && status.robots.contains("pusher"))
        #expect(!status.robots.contains("broken"))
        #expect(status.health == "degraded")
        #expect(status.healthReason?.contains("\(robots)/broken.yaml") == true, "\(status.healthReason ?? "nil")")
        #expect(daemon.log.contains("robot broken skipped"), "a clear log line: \(daemon.log)")
        let accepted = try daemon.client().call(Request(operation: .submit, args: .submit(
            SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: 5))), as: SubmitResult.self)
        #expect(try daemon.waitForTask(accepted.taskId).state == "done", "the good robot serves")

        // Fixed (here: the file removed) and reloaded: healthy again.
        try FileManager.default.removeItem(atPath: robots + "/broken.yaml")
        _ = try daemon.client().call(Request(operation: .reload), as: AckResult.self)
        let after = try daemon.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(after.health == "ok", "\(after.healthReason ?? "")")
        #expect(daemon.terminate() == 0)
    }

    @Test("no usable robot-config at all still exits 78 (a configuration error)")
    func noUsableRobotConfigExits78() throws {
        let robots = NSTemporaryDirectory() + "ttad-robots-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: robots, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        try "backend: {type: mujoco}\n".write(toFile: robots + "/reacher2.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(robotConfigDirectory: robots)
        let end = Date().addingTimeInterval(20)
        while daemon.process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        try #require(!daemon.process.isRunning, "ttad should have exited: \(daemon.log)")
        #expect(daemon.process.terminationStatus == 78)
        #expect(daemon.log.contains("\(robots)/reacher2.yaml"), "\(daemon.log)")
    }
}

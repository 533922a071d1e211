import Foundation
import Testing
import TTADTesting
import Wire
import ZeroMQ

/// The e-stop and the control operations never wait behind slow work: a real daemon with a long
/// history, real clients on its real socket. Orders are asserted, never durations.
@Suite(.serialized) struct DaemonEstopPathTests {
    @Test("an e-stop sent just after slow history reads is answered before any of them")
    func estopIsAnsweredBeforeTheSlowReadsAheadOfIt() throws {
        let state = try SeededHistory.stateDirectory(tasks: 6000)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try DaemonProcess.serving(stateDirectory: state)
        // Client A sends three of the longest history reads there are without waiting; client B,
        // on a connection of its own, the e-stop.
        let clients = try Self.dealers(2, to: daemon)
        let (reader, stopper) = (clients[0], clients[1])
        try Self.sendLongHistoryReads(3, on: reader)
        try stopper.send([[], Request(id: "stop", operation: .estop).encoded()], deadline: .seconds(5))

        // Whichever reply comes first, in the order they arrive.
        var order: [String] = []
        var readReplies: [Reply<HistoryResult>] = []
        let clock = ContinuousClock()
        let end = clock.now + .seconds(60)
        while order.count < 4, clock.now < end {
            if try stopper.poll(.in, timeout: .zero) {
                let frames = try stopper.receive()
                let reply = try Reply<AckResult>.decode(frames[1])
                #expect(reply.ok, "\(String(decoding: frames[1], as: UTF8.self))")
                order.append(reply.id ?? "?")
            }
            if try reader.poll(.in, timeout: .milliseconds(1)) {
                let frames = try reader.receive()
                let reply = try Reply<HistoryResult>.decode(frames[1])
                readReplies.append(reply)
                order.append(reply.id ?? "?")
            }
        }
        #expect(order.first == "stop", "the e-stop is answered before the reads sent ahead of it: \(order)")
        #expect(order.filter { $0.hasPrefix("read") } == ["read0", "read1", "read2"], "the reads still come, in order: \(order)")
        // The reads were capped: fewer tasks than asked, and a cursor to go on.
        for reply in readReplies {
            let result = try reply.get()
            #expect(result.tasks.count < 6000 && result.nextCursor != nil, "\(result.tasks.count) tasks, cursor \(result.nextCursor ?? "-")")
        }
        let status = try daemon.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(status.health == "estopped")
        #expect(daemon.terminate() == 0)
    }

    @Test("a full read queue answers unavailable at once, and the e-stop still gets through")
    func aFullReadQueueRefusesAtOnce() throws {
        let state = try SeededHistory.stateDirectory(tasks: 3000)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let clients = try Self.dealers(1, to: daemon)
        let reader = clients[0]
        // More slow reads than the worker holds: one in hand, 32 waiting, the rest refused.
        try Self.sendLongHistoryReads(40, on: reader)
        var refused: [WireError] = []
        let clock = ContinuousClock()
        let end = clock.now + .seconds(60)
        while refused.isEmpty, clock.now < end {
            guard let frames = try? reader.receive(deadline: .milliseconds(200)) else { continue }
            if let failure = try? Reply<Empty>.decode(frames[1]), let error = failure.error { refused.append(error) }
        }
        #expect(refused.first?.code == .unavailable && refused.first?.message.contains("busy") == true, "\(refused)")
        #expect(try daemon.client().call(Request(operation: .estop), as: AckResult.self).message.contains("latched"))
        #expect(daemon.terminate() == 0)
    }

    @Test("status keeps answering while an update runs")
    func statusAnswersWhileAnUpdateRuns() throws {
        // Many attempts, the whole network, 40 epochs without an early stop: an update long enough
        // to ask several times.
        let robots = try Self.robotFolder(edit: {
            $0.replacingOccurrences(of: "  epochs: 4\n", with: "  epochs: 40\n  minibatches: 16\n  target_kl: null\n")
                .replacingOccurrences(of: "  trainable: [head.weight, head.bias]", with: "  # trainable: everything")
        })
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let events = try daemon.subscribe()
        let client = try daemon.client()
        let id = try daemon.submit(SubmitArgs(task: "reach", attempts: 64, reward: "efficiency", adapt: true, seed: 11)).taskId

        // Wait for the last attempt to finish: the update starts then.
        var finishedAttempts = 0
        let clock = ContinuousClock()
        let end = clock.now + .seconds(300)
        while finishedAttempts < 64, clock.now < end {
            guard let event = try events.receive(deadline: .milliseconds(200)), event.taskId == id else { continue }
            if event.kind == .attemptFinished { finishedAttempts += 1 }
        }
        try #require(finishedAttempts == 64, "all 64 attempts finished")
        // Ask for status now, while the update runs, and again until the update's event arrives.
        var answered: [Double] = []
        var update: (info: UpdateInfo, at: Double)?
        while update == nil, clock.now < end {
            let status = try client.call(Request(operation: .status), as: StatusResult.self)
            answered.append(Date().timeIntervalSince1970)
            #expect(status.runningTask == id || status.runningTask == nil)
            while let event = try events.receive(deadline: .milliseconds(1)) {
                if event.taskId == id, event.kind == .updateFinished, let info = event.update { update = (info, event.at) }
            }
        }
        let made = try #require(update)
        try #require(made.info.epochs > 0, "an update was made (not skipped): \(made.info)")
        // The update ended at most at its event's time, so it ran from `seconds` before that. The
        // engine's lock, held through it, let at most one status through before its middle.
        let middle = made.at - made.info.seconds / 2
        let early = answered.filter { $0 < middle }.count
        #expect(early >= 3, "status answered \(early) time(s) in the first half of a \(made.info.seconds) s update")
        print("status answered \(early) time(s) in the first half of a \(made.info.seconds) s update")
        #expect(daemon.terminate() == 0)
    }

    @Test("the submit reply's temperatures are the ones the attempts run at, adaptive shift included")
    func submitTemperaturesIncludeTheAdaptiveShift() throws {
        let robots = try Self.robotFolder(adaptation: "  adaptive_temperature: true\n  temperature_step: 0.1\n")
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()
        // One attempt is a group whose attempts are all alike: the shift moves by a step after it.
        let first = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 1, seed: 5))), as: SubmitResult.self)
        #expect(first.temperatures == [0.6])
        _ = try daemon.waitForTask(first.taskId)
        let second = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 4, seed: 6))), as: SubmitResult.self)
        let info = try daemon.waitForTask(second.taskId)
        #expect(info.attempts.map(\.temperature) == second.temperatures, "told \(second.temperatures), ran \(info.attempts.map(\.temperature))")
        #expect(abs(second.temperatures[0] - 0.6) > 0.05, "the shift moved the schedule: \(second.temperatures)")
        #expect(daemon.terminate() == 0)
    }

    @Test("history pages follow next_cursor over every task once, newest first; a bad cursor is refused by name")
    func historyPagesCoverEveryTaskOnce() throws {
        let state = try SeededHistory.stateDirectory(tasks: 2500)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let client = try daemon.client(timeout: .seconds(30))
        var seen: [TaskInfo] = []
        var query = HistoryQuery(limit: 10_000)
        var pages = 0
        while true {
            let page = try client.call(Request(operation: .history, args: .history(query)), as: HistoryResult.self)
            #expect(page.encodedTasksSize <= HistoryResult.maxReplyBytes, "a page stays under the cap")
            seen += page.tasks
            pages += 1
            guard let next = page.nextCursor else { break }
            query.cursor = next
        }
        #expect(pages > 1, "2500 tasks do not fit one 1 MiB page")
        #expect(seen.count == 2500 && Set(seen.map(\.taskId)).count == 2500, "every task exactly once")
        #expect(seen.map(\.submittedAt) == seen.map(\.submittedAt).sorted(by: >), "newest first across pages")
        #expect(seen.allSatisfy { $0.attempts.count == 8 })

        // A small limit pages too.
        let small = try client.call(Request(operation: .history, args: .history(HistoryQuery(limit: 7))), as: HistoryResult.self)
        #expect(small.tasks.map(\.taskId) == Array(seen.prefix(7).map(\.taskId)))
        let next = try client.call(Request(operation: .history, args: .history(HistoryQuery(limit: 7, cursor: small.nextCursor))), as: HistoryResult.self)
        #expect(next.tasks.map(\.taskId) == Array(seen[7..<14].map(\.taskId)))

        do {
            _ = try client.call(Request(operation: .history, args: .history(HistoryQuery(cursor: "not-a-cursor"))), as: HistoryResult.self)
            Issue.record("a made-up cursor must be refused")
        } catch let error as WireError {
            #expect(error.code == .invalidField && error.field == "args.cursor", "\(error)")
        }
        #expect(daemon.terminate() == 0)
    }

    @Test("over the CURVE endpoint too, the workers' replies (history, checkpoints, submit) reach the client")
    func workerRepliesReachCurveClients() throws {
        let server = try ZMQCurveKeyPair.generate()
        let dir = NSTemporaryDirectory() + "ttad-curve-lanes-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try server.secretKey.write(toFile: dir + "/server.key", atomically: true, encoding: .utf8)
        let port = 20000 + Int((getpid() + 7) % 20000)
        // The TCP endpoint serves only listed client keys (curve_client_keys_directory).
        let me = try ZMQCurveKeyPair.generate()
        try FileManager.default.createDirectory(atPath: dir + "/clients.d", withIntermediateDirectories: true)
        try (me.publicKey + "\n").write(toFile: dir + "/clients.d/me.pub", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(extraConfig: "tcp_endpoint: tcp://127.0.0.1:\(port)\ncurve_secret_key_file: \(dir)/server.key\n"
                                           + "curve_client_keys_directory: \(dir)/clients.d")
        try daemon.waitUntilServing()
        let client = try WireClient(endpoint: "tcp://127.0.0.1:\(port)", timeout: .seconds(10), curve: (
            serverKey: ZMQCurveKeyPair.decode(server.publicKey), publicKey: ZMQCurveKeyPair.decode(me.publicKey),
            secretKey: ZMQCurveKeyPair.decode(me.secretKey)))
        let accepted = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 2, seed: 1))), as: SubmitResult.self)
        #expect(try client.call(Request(operation: .history), as: HistoryResult.self).tasks.first?.taskId == accepted.taskId)
        #expect(try client.call(Request(operation: .checkpoints), as: CheckpointsResult.self).live != nil)
        #expect(try client.call(Request(operation: .status), as: StatusResult.self).health == "ok")
        #expect(daemon.terminate() == 0)
    }

    /// A robot-config folder holding the repository's reacher2 with overrides, and its models.
    /// `count` DEALER connections of their own to `daemon`'s request socket, each connected by
    /// the time this returns (a ping on another connection, then a moment). Each socket keeps
    /// their context alive.
    static func dealers(_ count: Int, to daemon: DaemonProcess) throws -> [ZMQSocket] {
        let context = try ZMQContext()
        let sockets = try (0..<count).map { _ in
            let socket = try ZMQSocket(context, .dealer)
            try socket.connect(daemon.endpoint)
            return socket
        }
        _ = try daemon.client().call(Request(operation: .ping), as: Pong.self)
        Thread.sleep(forTimeInterval: 0.1)  // the connections are up
        return sockets
    }

    /// Sends `count` of the longest history reads there are (`read0`, `read1`, ...) without
    /// waiting for their replies.
    static func sendLongHistoryReads(_ count: Int, on socket: ZMQSocket) throws {
        for n in 0..<count {
            try socket.send([[], Request(id: "read\(n)", operation: .history, args: .history(HistoryQuery(limit: 10_000))).encoded()], deadline: .seconds(5))
        }
    }

    static func robotFolder(adaptation: String = "", edit: (String) -> String = { $0 }) throws -> String {
        let dir = NSTemporaryDirectory() + "ttad-robots-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/checkpoints", withIntermediateDirectories: true)
        let repo = DaemonProcess.robotConfigs
        var yaml = try String(contentsOfFile: repo + "/reacher2.yaml", encoding: .utf8)
        if !adaptation.isEmpty { yaml = yaml.replacingOccurrences(of: "\nadaptation:\n", with: "\nadaptation:\n" + adaptation) }
        yaml = edit(yaml)
        try yaml.write(toFile: dir + "/reacher2.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/models", withDestinationPath: repo + "/models")
        if FileManager.default.fileExists(atPath: repo + "/checkpoints/reacher2.safetensors") {
            try FileManager.default.createSymbolicLink(atPath: dir + "/checkpoints/reacher2.safetensors",
                                                       withDestinationPath: repo + "/checkpoints/reacher2.safetensors")
        }
        return dir
    }
}

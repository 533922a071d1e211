import Foundation
import Testing
import Wire

/// `EventSubscriber` against a real `ttad` (the binary built beside these tests) on the default
/// simulated robot: what ttactl's `submit` and `watch` see.
@Suite(.serialized) struct EventSubscriberTests {
    /// A real daemon in its own temporary folder, with ipc sockets there.
    final class Daemon {
        let directory = NSTemporaryDirectory() + "ttad-wire-\(UUID().uuidString.prefix(8))"
        var endpoint: String { "ipc://\(directory)/ttad.sock" }
        var events: String { "ipc://\(directory)/events.sock" }
        let process = Process()

        init() throws {
            let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            let robots = tests.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("robot-configs").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try """
                request_endpoint: \(endpoint)
                event_endpoint: \(events)
                state_directory: \(directory)/state
                robot_config_directory: \(robots)
                """.write(toFile: "\(directory)/ttad.yaml", atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["--config", "\(directory)/ttad.yaml"]
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "NOTIFY_SOCKET")
            environment.removeValue(forKey: "JOURNAL_STREAM")
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Serving once it answers a ping.
            let client = try WireClient(endpoint: endpoint, timeout: .milliseconds(200))
            for _ in 0..<400 where process.isRunning {
                if (try? client.call(Request(operation: .ping), as: Pong.self)) != nil { return }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw DaemonDidNotStart()
        }

        /// The built `ttad` beside the test bundle (or `TTAD_BINARY`).
        static var binary: String {
            if let path = ProcessInfo.processInfo.environment["TTAD_BINARY"] { return path }
            var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = dir.appendingPathComponent("ttad").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
            return ".build/debug/ttad"
        }

        deinit {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    struct DaemonDidNotStart: Error {}

    @Test func aSubscriberReceivesEveryEventOfARealDaemonsTask() throws {
        let daemon = try Daemon()
        let subscriber = try EventSubscriber(endpoint: daemon.events)
        #expect(try subscriber.waitForPublisher(deadline: .seconds(20)))
        Thread.sleep(forTimeInterval: 0.1)  // let the subscription reach the publisher

        let client = try WireClient(endpoint: daemon.endpoint, timeout: .seconds(10))
        let accepted = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: 3))),
                                       as: SubmitResult.self)
        var kinds: [Event.Kind] = []
        while let event = try subscriber.receive(deadline: .seconds(120)) {
            guard event.taskId == accepted.taskId else { continue }
            kinds.append(event.kind)
            if event.kind == .taskFinished { break }
        }
        // Queued and started may arrive either way round: the control thread can start the task
        // before the request worker has published that it queued it.
        #expect(Set(kinds.prefix(2)) == [.taskQueued, .taskStarted], "\(kinds)")
        #expect(kinds.filter { $0 == .attemptFinished }.count == 2, "\(kinds)")
        #expect(kinds.last == .taskFinished, "\(kinds)")
    }

    @Test func aWaitEndsEmptyAtItsDeadlineWhenTheDaemonPublishesNothing() throws {
        let daemon = try Daemon()
        let subscriber = try EventSubscriber(endpoint: daemon.events)
        #expect(try subscriber.waitForPublisher(deadline: .seconds(20)))
        // An idle daemon publishes nothing: the wait returns empty, and not before its deadline.
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try subscriber.receive(deadline: .milliseconds(300)) == nil)
        #expect(clock.now - start >= .milliseconds(300))
    }

    @Test func noPublisherIsToldApartFromAQuietOne() throws {
        let nowhere = "ipc://\(NSTemporaryDirectory())nobody-\(UUID().uuidString.prefix(6)).sock"
        let subscriber = try EventSubscriber(endpoint: nowhere)
        #expect(try subscriber.waitForPublisher(deadline: .milliseconds(300)) == false)
        #expect(try subscriber.receiveFrames(deadline: .milliseconds(100)) == nil)
    }
}

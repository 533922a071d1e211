import Foundation
import Testing
import TTADTesting
import Wire

@Suite struct DaemonLifecycleTests {
    @Test func answersPingAndStatusThenExitsCleanlyOnSIGTERM() throws {
        let daemon = try DaemonProcess.serving()
        let client = try WireClient(endpoint: daemon.endpoint, timeout: .seconds(5))
        let pong = try client.call(Request(id: "p1", operation: .ping), as: Pong.self)
        #expect(pong.pong && pong.pid == daemon.process.processIdentifier)
        let status = try client.call(Request(operation: .status), as: StatusResult.self)
        #expect(status.health == "ok")
        #expect(status.queueCapacity == 64)
        let socketPath = String(daemon.endpoint.dropFirst(6))
        let mode = try FileManager.default.attributesOfItem(atPath: socketPath)[.posixPermissions] as? Int
        #expect(mode == 0o660, "the request socket is for the owner and the ttad group only")
        #expect(daemon.terminate() == 0)
        #expect(!FileManager.default.fileExists(atPath: socketPath), "a clean exit removes the socket file")
    }

    @Test("SIGTERM: STOPPING=1 first, then requests stop, the running task ends interrupted, and the sockets go last")
    func sigtermStopsThePartsInOrder() throws {
        let notify = NotifySocket()
        let daemon = try DaemonProcess.serving(environment: ["NOTIFY_SOCKET": notify.path])
        var sent: [String] = []
        #expect(Poll.until(.seconds(10), every: .milliseconds(1)) {
            if let datagram = notify.receive() { sent.append(datagram) }
            return sent.contains { $0.hasPrefix("READY=1") }
        }, "READY=1 reached the notify socket: \(sent)")
        // Three long tasks: whichever runs when SIGTERM lands (the first, or one after it) is cut short.
        let ids = try (0..<3).map { try daemon.submit(SubmitArgs(task: "reach", attempts: 64, adapt: false, seed: UInt64($0))).taskId }
        let client = try daemon.client()
        #expect(try Poll.until(.seconds(30), every: .milliseconds(10)) {
            try client.call(Request(operation: .status), as: StatusResult.self).runningTask == ids[0]
        })
        #expect(daemon.terminate() == 0, "SIGTERM exits 0\n\(daemon.log)")
        while let datagram = notify.receive() { sent.append(datagram) }
        let ready = sent.firstIndex { $0.hasPrefix("READY=1") }, stopping = sent.firstIndex(of: "STOPPING=1")
        #expect(ready != nil && stopping != nil && ready! < stopping!, "\(sent)")

        // The log tells the order: stopping, the task cut short by the control loop's stop, stopped.
        let log = daemon.log
        let interrupted = ids.lazy.compactMap { log.range(of: "task \($0) interrupted")?.lowerBound }.first
        let marks = [log.range(of: "stopping: ending the running attempt safely")?.lowerBound, interrupted,
                     log.range(of: "stopped", options: .backwards)?.lowerBound]
        #expect(marks.allSatisfy { $0 != nil }, "\(log)")
        if let a = marks[0], let b = marks[1], let c = marks[2] { #expect(a < b && b < c, "\(log)") }
        #expect(!FileManager.default.fileExists(atPath: String(daemon.endpoint.dropFirst(6))), "the request socket file is gone")
        #expect(!FileManager.default.fileExists(atPath: String(daemon.eventEndpoint.dropFirst(6))), "the event socket file is gone")
    }

    @Test("SIGTERM while the robots and checkpoints still load: a clean stop (exit 0), not death by the signal")
    func sigtermDuringStartUpStopsCleanly() throws {
        let daemon = try DaemonProcess()
        // The first log line comes after the signals are trapped and before the robots load.
        #expect(Poll.until(.seconds(20), every: .milliseconds(1)) { daemon.log.contains("OpenBLAS kernel") }, "\(daemon.log)")
        kill(daemon.process.processIdentifier, SIGTERM)
        let stopped = Poll.until(.seconds(30)) { !daemon.process.isRunning }
        if !stopped { daemon.crash() }
        try #require(stopped, "SIGTERM during start-up was lost: the daemon went on\n\(daemon.log)")
        #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0,
                "\(daemon.process.terminationReason == .exit ? "exit" : "signal") \(daemon.process.terminationStatus)\n\(daemon.log)")
        #expect(daemon.log.contains("stopped"), "\(daemon.log)")
    }

    @Test func clientGivesUpAtItsDeadlineWhenNoDaemonAnswers() throws {
        let client = try WireClient(endpoint: "ipc://\(NSTemporaryDirectory())nobody-\(UUID().uuidString.prefix(6)).sock", timeout: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: WireClient.Failure.self) { try client.call(Request(operation: .ping), as: Pong.self) }
        #expect(clock.now - start < .seconds(5))
    }

    /// OpenBLAS keeps to one thread unless `blas_threads` says otherwise: an idle second worker
    /// spins beside the robot's controller (docs/configuration.md). The count is read back from
    /// OpenBLAS after it was set.
    @Test func openBLASKeepsToTheConfiguredThreads() throws {
        let cases: [(extra: String, expected: Int?)] = [("", 1), ("blas_threads: 1", 1), ("blas_threads: 0", nil)]
        for (extra, expected) in cases {
            let daemon = try DaemonProcess(extraConfig: extra)
            defer { daemon.crash() }
            let logged = Poll.until(.seconds(20), every: .milliseconds(5)) { daemon.log.contains("OpenBLAS uses ") }
            try #require(logged, "no thread count logged with \"\(extra)\"\n\(daemon.log)")
            let line = daemon.log.split(separator: "\n").first { $0.contains("OpenBLAS uses ") }.map(String.init) ?? ""
            let count = line.components(separatedBy: "OpenBLAS uses ").last?.split(separator: " ").first.flatMap { Int($0) }
            if let expected {
                #expect(count == expected, "\"\(extra)\": \(line)")
            } else {
                #expect((count ?? 0) >= 1, "0 leaves OpenBLAS its own choice: \(line)")
            }
        }
    }

    @Test func refusesABlasThreadCountOutOfRange() throws {
        let daemon = try DaemonProcess(extraConfig: "blas_threads: -1")
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 78)
        #expect(daemon.log.contains("blas_threads") && daemon.log.contains("0 to 256"), "\(daemon.log)")
    }

    @Test func refusesABadConfigNamingFileAndKey() throws {
        let daemon = try DaemonProcess(extraConfig: "queue_capacity: lots")
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 78)
        let log = daemon.log
        #expect(log.contains("ttad.yaml") && log.contains("queue_capacity"), "\(log)")
    }
}

import Foundation
import Testing
import TTADTesting
import Wire

@Suite struct DaemonLifecycleTests {
    @Test func answersPingAndStatusThenExitsCleanlyOnSIGTERM() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
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

    @Test func clientGivesUpAtItsDeadlineWhenNoDaemonAnswers() throws {
        let client = try WireClient(endpoint: "ipc://\(NSTemporaryDirectory())nobody-\(UUID().uuidString.prefix(6)).sock", timeout: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: WireClient.Failure.self) { try client.call(Request(operation: .ping), as: Pong.self) }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func refusesABadConfigNamingFileAndKey() throws {
        let daemon = try DaemonProcess(extraConfig: "queue_capacity: lots")
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 78)
        let log = daemon.log
        #expect(log.contains("ttad.yaml") && log.contains("queue_capacity"), "\(log)")
    }
}

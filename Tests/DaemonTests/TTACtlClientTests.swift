import Foundation
import Synchronization
import Testing
import TTADTesting
import Wire
import ZeroMQ

/// What the real `ttactl` binary says and which status it exits with when it cannot reach the
/// daemon: a bad endpoint, a socket closed to the user, nobody publishing events.
@Suite struct TTACtlClientTests {
    @Test("an endpoint without a transport is a usage error (64) that says to write ipc://")
    func anEndpointWithoutATransportIsAUsageErrorThatSuggestsIPC() throws {
        let result = try TTACtlRunner.run(["ping", "--endpoint", "/run/ttad/ttad.sock"])
        #expect(result.status == 64)
        #expect(result.errors.contains("use ipc:///run/ttad/ttad.sock"), "\(result.errors)")
        #expect(!result.errors.contains("errno"))

        let hostPort = try TTACtlRunner.run(["status", "--endpoint", "robot.local:5555"])
        #expect(hostPort.status == 64)
        #expect(hostPort.errors.contains("use tcp://robot.local:5555"), "\(hostPort.errors)")

        let badPort = try TTACtlRunner.run(["status", "--endpoint", "tcp://robot.local"])
        #expect(badPort.status == 64)
        #expect(badPort.errors.contains("tcp://HOST:PORT"), "\(badPort.errors)")

        let events = try TTACtlRunner.run(["watch", "--events", "/run/ttad/events.sock"])
        #expect(events.status == 64)
        #expect(events.errors.contains("--events"), "\(events.errors)")
    }

    @Test("watch on an event endpoint nobody publishes on gives up after --timeout with 69")
    func watchOnAnEndpointNobodyPublishesOnTimesOutWith69() throws {
        let nowhere = "ipc://\(NSTemporaryDirectory())ttad-nobody-\(UUID().uuidString.prefix(8)).sock"
        let result = try TTACtlRunner.run(["watch", "--events", nowhere, "--timeout", "1"])
        #expect(result.status == 69)
        #expect(result.errors.contains("no event publisher answered"), "\(result.errors)")
        #expect(result.output.isEmpty)

        let closedPort = try TTACtlRunner.run(["watch", "--events", "tcp://127.0.0.1:1", "--timeout", "1", "--count", "1"])
        #expect(closedPort.status == 69)
    }

    @Test("watch on the daemon's event endpoint prints its events and exits 0 after --count")
    func watchOnTheDaemonsEventEndpointPrintsEvents() throws {
        let daemon = try DaemonProcess.serving()
        // Tasks are queued until watch has printed one event: it may connect after the first one.
        let endpoint = daemon.endpoint
        let done = StopBox()
        let submitter = Thread {
            let client = try? WireClient(endpoint: endpoint, timeout: .seconds(10))
            for _ in 0..<60 where !done.value.withLock({ $0 }) {
                _ = try? client?.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 2, adapt: false))),
                                     as: SubmitResult.self)
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        submitter.start()
        let result = try TTACtlRunner.run(["watch", "--events", daemon.eventEndpoint, "--count", "1", "--json"])
        done.value.withLock { $0 = true }
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("\"task_id\":\"t-"), "\(result.output)")
        #expect(daemon.terminate() == 0)
    }

    @Test("a user outside the socket's group is told permission denied, the group and the fix, with 77")
    func aUserOutsideTheSocketsGroupIsToldPermissionDeniedWith77() throws {
        let daemon = try DaemonProcess.serving(extraConfig: "socket_mode: \"0660\"")
        // The daemon (root) made the socket root:root 0660 in a 0755 folder: nobody may not write it.
        let socket = try TTACtlRunner.run(["ping", "--endpoint", daemon.endpoint], user: "nobody")
        #expect(socket.status == 77, "\(socket.errors)")
        #expect(socket.errors.contains("permission denied on \(daemon.endpoint.dropFirst("ipc://".count))"), "\(socket.errors)")
        #expect(socket.errors.contains("the socket belongs to group root (mode 0660)"), "\(socket.errors)")
        #expect(socket.errors.contains("sudo usermod -aG root $USER"), "\(socket.errors)")
        #expect(!socket.errors.contains("is the daemon running"))

        // As under systemd: the folder (RuntimeDirectory=, 0750) is what shuts the user out.
        #expect(chmod(daemon.directory, 0o750) == 0)
        defer { chmod(daemon.directory, 0o755) }
        let folder = try TTACtlRunner.run(["status", "--endpoint", daemon.endpoint], user: "nobody")
        #expect(folder.status == 77, "\(folder.errors)")
        #expect(folder.errors.contains("\(daemon.directory) belongs to group root (mode 0750)"), "\(folder.errors)")
        let watch = try TTACtlRunner.run(["watch", "--events", daemon.eventEndpoint], user: "nobody")
        #expect(watch.status == 77, "\(watch.errors)")

        // Root, for whom the same socket is open, is served.
        #expect(try TTACtlRunner.run(["ping", "--endpoint", daemon.endpoint]).status == 0)
        #expect(daemon.terminate() == 0)
    }

    @Test("no socket file at the endpoint: 69 with a message that says there is no socket")
    func aMissingSocketIsReportedAsMissing() throws {
        let path = "\(NSTemporaryDirectory())ttad-missing-\(UUID().uuidString.prefix(8)).sock"
        let result = try TTACtlRunner.run(["ping", "--endpoint", "ipc://\(path)", "--timeout", "0.5"])
        #expect(result.status == 69)
        #expect(result.errors.contains("no socket file \(path) exists"), "\(result.errors)")
    }

    @Test("keygen writes a 0600 secret key and the public key that belongs to it, and never overwrites")
    func keygenWritesASecretKeyOnlyItsOwnerCanReadAndNeverOverwrites() throws {
        let folder = NSTemporaryDirectory() + "ttad-keygen-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try TTACtlRunner.run(["keygen", "--output", folder, "--name", "alice"])
        #expect(result.status == 0, "\(result.errors)")
        let publicKey = try String(contentsOfFile: folder + "/alice.pub", encoding: .utf8).trimmingCharacters(in: .newlines)
        let secretKey = try String(contentsOfFile: folder + "/alice.secret", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(try ZMQCurveKeyPair.publicKey(forSecretKey: secretKey) == publicKey)
        #expect(result.output.contains("public key: \(publicKey)"))
        #expect(result.output.contains("/etc/ttad/clients.d/"))
        let secretMode = try FileManager.default.attributesOfItem(atPath: folder + "/alice.secret")[.posixPermissions] as? Int
        #expect(secretMode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["alice.pub", "alice.secret"])

        let again = try TTACtlRunner.run(["keygen", "--output", folder, "--name", "alice"])
        #expect(again.status == 73)
        #expect(again.errors.contains("exists"), "\(again.errors)")
        #expect(try String(contentsOfFile: folder + "/alice.secret", encoding: .utf8).trimmingCharacters(in: .newlines) == secretKey)
    }
}

/// A flag the test sets and a helper thread reads.
private final class StopBox: Sendable {
    let value = Mutex(false)
}

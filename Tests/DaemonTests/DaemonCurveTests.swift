import Foundation
import Testing
import TTADTesting
import Wire
import ZeroMQ

/// The TCP endpoint exists only with CURVE, and serves only the clients whose public keys are in
/// its allow-list folder (`curve_client_keys_directory`): knowing the server's key is not enough.
@Suite struct DaemonCurveTests {
    /// A server key pair and a client allow-list folder in a fresh temporary folder.
    final class Keys {
        let folder: String
        let server: ZMQCurveKeyPair
        var clientsFolder: String { folder + "/clients.d" }
        let port = Int.random(in: 20000..<60000)

        init() throws {
            folder = NSTemporaryDirectory() + "ttad-curve-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder + "/clients.d", withIntermediateDirectories: true)
            server = try ZMQCurveKeyPair.generate()
            try server.secretKey.write(toFile: folder + "/server.secret", atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        var config: String {
            "tcp_endpoint: tcp://127.0.0.1:\(port)\ncurve_secret_key_file: \(folder)/server.secret\ncurve_client_keys_directory: \(clientsFolder)"
        }

        /// Lists `client` in the allow-list as `name.pub`.
        func allow(_ client: ZMQCurveKeyPair, as name: String) throws {
            try (client.publicKey + "\n").write(toFile: "\(clientsFolder)/\(name).pub", atomically: true, encoding: .utf8)
        }

        /// A client of the TCP endpoint that uses `client`'s key pair (and `serverKey`, default the real one).
        func client(_ client: ZMQCurveKeyPair, serverKey: String? = nil, timeout: Duration = .seconds(5)) throws -> WireClient {
            try WireClient(endpoint: "tcp://127.0.0.1:\(port)", timeout: timeout, curve: (
                serverKey: ZMQCurveKeyPair.decode(serverKey ?? server.publicKey), publicKey: ZMQCurveKeyPair.decode(client.publicKey),
                secretKey: ZMQCurveKeyPair.decode(client.secretKey)))
        }
    }

    @Test("the TCP endpoint serves only CURVE clients that know the server key")
    func theTCPEndpointServesOnlyCurveClientsThatKnowTheServerKey() throws {
        let keys = try Keys()
        let me = try ZMQCurveKeyPair.generate()
        try keys.allow(me, as: "me")
        let daemon = try DaemonProcess.serving(extraConfig: keys.config)

        #expect(try keys.client(me).call(Request(operation: .ping), as: Pong.self).pong)
        let wrongServerKey = try keys.client(me, serverKey: me.publicKey, timeout: .milliseconds(700))
        #expect(throws: WireClient.Failure.self) { try wrongServerKey.call(Request(operation: .ping), as: Pong.self) }
        let plain = try WireClient(endpoint: "tcp://127.0.0.1:\(keys.port)", timeout: .milliseconds(700))
        #expect(throws: WireClient.Failure.self) { try plain.call(Request(operation: .ping), as: Pong.self) }
        #expect(daemon.terminate() == 0)
    }

    @Test("a listed client key is served; an unlisted one that knows the server key cannot latch an e-stop and is logged with its key")
    func anUnlistedClientKeyIsRefusedAndLoggedWithItsKey() throws {
        let keys = try Keys()
        let listed = try ZMQCurveKeyPair.generate(), stranger = try ZMQCurveKeyPair.generate()
        try keys.allow(listed, as: "operator")
        let daemon = try DaemonProcess.serving(extraConfig: keys.config)

        let refused = try keys.client(stranger, timeout: .seconds(2))
        #expect(throws: WireClient.Failure.self) { try refused.call(Request(operation: .estop), as: AckResult.self) }
        let local = try daemon.client()
        #expect(try local.call(Request(operation: .status), as: StatusResult.self).health == "ok", "the stranger's e-stop was not obeyed")
        #expect(daemon.log.contains("curve_client_refused"), "\(daemon.log)")
        #expect(daemon.log.contains(stranger.publicKey), "the refusal names the key to add to the allow-list")
        // A client that keeps knocking is logged once a minute, not once per attempt.
        for _ in 0..<2 {
            #expect(throws: WireClient.Failure.self) { try keys.client(stranger, timeout: .milliseconds(500)).call(Request(operation: .ping), as: Pong.self) }
        }
        #expect(daemon.log.components(separatedBy: "refused CURVE client key \(stranger.publicKey)").count - 1 == 1, "\(daemon.log)")

        #expect(try keys.client(listed).call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.log.contains("CURVE client operator admitted"))
        #expect(!daemon.log.contains("refused CURVE client key \(listed.publicKey)"))
        #expect(daemon.terminate() == 0)
    }

    @Test("a key file added to the folder admits its client at the next connection, and deleting it refuses the next one")
    func theAllowListIsReadAtEachConnection() throws {
        let keys = try Keys()
        let first = try ZMQCurveKeyPair.generate(), second = try ZMQCurveKeyPair.generate()
        try keys.allow(first, as: "first")
        let daemon = try DaemonProcess.serving(extraConfig: keys.config)

        #expect(throws: WireClient.Failure.self) { try keys.client(second, timeout: .seconds(1)).call(Request(operation: .ping), as: Pong.self) }
        try keys.allow(second, as: "second")
        #expect(try keys.client(second).call(Request(operation: .ping), as: Pong.self).pong)

        try FileManager.default.removeItem(atPath: keys.clientsFolder + "/second.pub")
        #expect(throws: WireClient.Failure.self) { try keys.client(second, timeout: .seconds(1)).call(Request(operation: .ping), as: Pong.self) }
        #expect(try keys.client(first).call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.terminate() == 0)
    }

    @Test("ttactl keygen's key pair, once its .pub is in the folder, reaches the daemon with ttactl over TCP")
    func ttactlKeygenAndCurveOptionsReachTheTCPEndpoint() throws {
        let keys = try Keys()
        let made = try TTACtlRunner.run(["keygen", "--output", keys.clientsFolder, "--name", "laptop"])
        #expect(made.status == 0, "\(made.errors)")
        let daemon = try DaemonProcess.serving(extraConfig: keys.config)
        try keys.server.publicKey.write(toFile: keys.folder + "/server.pub", atomically: true, encoding: .utf8)

        let ping = try TTACtlRunner.run(["ping", "--endpoint", "tcp://127.0.0.1:\(keys.port)",
                                         "--curve-server-key", keys.folder + "/server.pub",
                                         "--curve-key-file", keys.clientsFolder + "/laptop.secret"])
        #expect(ping.status == 0, "\(ping.errors)")
        #expect(ping.output.contains("pong from ttad"))
        #expect(daemon.log.contains("CURVE client laptop admitted"))

        // The same through the environment, with the server key inline.
        let status = try TTACtlRunner.run(["status", "--endpoint", "tcp://127.0.0.1:\(keys.port)"], environment: [
            "TTAD_CURVE_SERVER_KEY": keys.server.publicKey, "TTAD_CURVE_KEY_FILE": keys.clientsFolder + "/laptop.secret",
        ])
        #expect(status.status == 0, "\(status.errors)")

        let halfKeys = try TTACtlRunner.run(["ping", "--endpoint", "tcp://127.0.0.1:\(keys.port)", "--curve-server-key", keys.server.publicKey])
        #expect(halfKeys.status == 64)
        #expect(halfKeys.errors.contains("--curve-key-file"))
        #expect(daemon.terminate() == 0)
    }

    @Test("a TCP endpoint without CURVE is refused at start-up (78)")
    func aTCPEndpointWithoutCurveIsRefusedAtStartUp() throws {
        let daemon = try DaemonProcess(extraConfig: "tcp_endpoint: tcp://127.0.0.1:1")
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 78)
        #expect(daemon.log.contains("CURVE"))
    }

    @Test("a TCP endpoint whose client folder is empty, missing or holds a bad key file is refused at start-up (78), naming it")
    func aTCPEndpointWithoutUsableClientKeysIsRefusedAtStartUp() throws {
        let keys = try Keys()
        let empty = try DaemonProcess(extraConfig: keys.config)
        empty.process.waitUntilExit()
        #expect(empty.process.terminationStatus == 78)
        #expect(empty.log.contains("curve_client_keys_directory: \(keys.clientsFolder) holds no client public key"), "\(empty.log)")

        let missing = try DaemonProcess(extraConfig: keys.config.replacingOccurrences(of: "clients.d", with: "no-such-folder"))
        missing.process.waitUntilExit()
        #expect(missing.process.terminationStatus == 78)
        #expect(missing.log.contains("cannot read the client key folder \(keys.folder)/no-such-folder"), "\(missing.log)")

        try keys.allow(try ZMQCurveKeyPair.generate(), as: "good")
        try "not a key\n".write(toFile: keys.clientsFolder + "/bad.pub", atomically: true, encoding: .utf8)
        let bad = try DaemonProcess(extraConfig: keys.config)
        bad.process.waitUntilExit()
        #expect(bad.process.terminationStatus == 78)
        #expect(bad.log.contains("\(keys.clientsFolder)/bad.pub: expected a 40-character Z85 public key"), "\(bad.log)")

        // A secret key file left in the folder is not read as a client (only *.pub files are).
        try FileManager.default.removeItem(atPath: keys.clientsFolder + "/bad.pub")
        try ZMQCurveKeyPair.generate().secretKey.write(toFile: keys.clientsFolder + "/good.secret", atomically: true, encoding: .utf8)
        let fine = try DaemonProcess.serving(extraConfig: keys.config)
        #expect(fine.terminate() == 0)
    }
}

import Foundation
import Testing
import Wire
import ZeroMQ

/// The TCP endpoint exists only with CURVE: a client with the server's key is served, others never.
@Suite struct DaemonCurveTests {
    @Test func theTCPEndpointServesOnlyCurveClientsThatKnowTheServerKey() throws {
        let server = try ZMQCurveKeyPair.generate()
        let dir = NSTemporaryDirectory() + "ttad-curve-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try server.secretKey.write(toFile: dir + "/server.key", atomically: true, encoding: .utf8)
        let port = 20000 + Int(getpid() % 20000)
        let daemon = try DaemonProcess(extraConfig: "tcp_endpoint: tcp://127.0.0.1:\(port)\ncurve_secret_key_file: \(dir)/server.key")
        try daemon.waitUntilServing()

        let me = try ZMQCurveKeyPair.generate()
        let good = try WireClient(endpoint: "tcp://127.0.0.1:\(port)", timeout: .seconds(5), curve: (
            serverKey: ZMQCurveKeyPair.decode(server.publicKey), publicKey: ZMQCurveKeyPair.decode(me.publicKey),
            secretKey: ZMQCurveKeyPair.decode(me.secretKey)))
        #expect(try good.call(Request(operation: .ping), as: Pong.self).pong)

        let wrongKey = try WireClient(endpoint: "tcp://127.0.0.1:\(port)", timeout: .milliseconds(700), curve: (
            serverKey: ZMQCurveKeyPair.decode(me.publicKey), publicKey: ZMQCurveKeyPair.decode(me.publicKey),
            secretKey: ZMQCurveKeyPair.decode(me.secretKey)))
        #expect(throws: WireClient.Failure.self) { try wrongKey.call(Request(operation: .ping), as: Pong.self) }
        let plain = try WireClient(endpoint: "tcp://127.0.0.1:\(port)", timeout: .milliseconds(700))
        #expect(throws: WireClient.Failure.self) { try plain.call(Request(operation: .ping), as: Pong.self) }
        #expect(daemon.terminate() == 0)
    }

    @Test func aTCPEndpointWithoutCurveIsRefusedAtStartUp() throws {
        let daemon = try DaemonProcess(extraConfig: "tcp_endpoint: tcp://127.0.0.1:1")
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 78)
        #expect(daemon.log.contains("CURVE"))
    }
}

import Foundation
import Testing
@testable import ZeroMQ

@Suite struct ZMQSocketTests {
    static func tempEndpoint() -> String { "ipc://\(NSTemporaryDirectory())zmq-test-\(UUID().uuidString.prefix(8)).sock" }

    @Test func multipartRoundTripOverIPC() throws {
        let context = try ZMQContext()
        let endpoint = Self.tempEndpoint()
        let server = try ZMQSocket(context, .rep)
        try server.bind(endpoint)
        let client = try ZMQSocket(context, .req)
        try client.connect(endpoint)

        let floats: [Float] = [1.5, -2.25, 3e-7]
        let binary = floats.withUnsafeBytes { [UInt8]($0) }
        try client.send([Array("header".utf8), binary, []], deadline: .seconds(2))
        let received = try server.receive(deadline: .seconds(2))
        #expect(received == [Array("header".utf8), binary, []])
        try server.send([Array("reply".utf8)])
        #expect(try client.receive(deadline: .seconds(2)) == [Array("reply".utf8)])
        #expect(FileManager.default.fileExists(atPath: String(endpoint.dropFirst(6))), "libzmq created the ipc socket file")
    }

    @Test func receiveWithoutAPeerTimesOutAtItsDeadline() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .pull)
        try socket.bind(Self.tempEndpoint())
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: ZMQError.self) { try socket.receive(deadline: .milliseconds(50)) }
        do { _ = try socket.receive(deadline: .milliseconds(50)) } catch let error as ZMQError {
            #expect(error.isTimeout)
            #expect("\(error)".contains("timed out"))
        }
        #expect(clock.now - start >= .milliseconds(100))
    }

    @Test func bindErrorNamesTheEndpointAndLibzmqReason() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .rep)
        do {
            try socket.bind("bogus://nowhere")
            Issue.record("bind to an unknown transport must fail")
        } catch let error as ZMQError {
            #expect(error.operation.contains("bogus://nowhere"))
            #expect(error.code == EPROTONOSUPPORT)
            #expect("\(error)".contains("Protocol not supported"))
        }
    }

    @Test func lastEndpointResolvesTheWildcardPort() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .rep)
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = try socket.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(Int(endpoint.split(separator: ":").last!)! > 0)
    }

    @Test func curveAuthenticatedRoundTrip() throws {
        #expect(ZMQContext.has("curve"), "Debian's libzmq is built with CURVE")
        let serverKeys = try ZMQCurveKeyPair.generate()
        let clientKeys = try ZMQCurveKeyPair.generate()
        #expect(serverKeys.publicKey.count == 40 && serverKeys != clientKeys)
        let context = try ZMQContext()
        let server = try ZMQSocket(context, .rep)
        try server.makeCurveServer(secretKey: ZMQCurveKeyPair.decode(serverKeys.secretKey))
        try server.bind("tcp://127.0.0.1:*")
        let client = try ZMQSocket(context, .req)
        try client.makeCurveClient(
            serverKey: ZMQCurveKeyPair.decode(serverKeys.publicKey),
            publicKey: ZMQCurveKeyPair.decode(clientKeys.publicKey),
            secretKey: ZMQCurveKeyPair.decode(clientKeys.secretKey))
        try client.connect(try server.lastEndpoint)
        try client.send([Array("secret".utf8)], deadline: .seconds(2))
        #expect(try server.receive(deadline: .seconds(2)) == [Array("secret".utf8)])

        // A client with the wrong server key never gets through.
        let intruder = try ZMQSocket(context, .req)
        try intruder.makeCurveClient(
            serverKey: ZMQCurveKeyPair.decode(clientKeys.publicKey),
            publicKey: ZMQCurveKeyPair.decode(clientKeys.publicKey),
            secretKey: ZMQCurveKeyPair.decode(clientKeys.secretKey))
        try intruder.connect(try server.lastEndpoint)
        try intruder.send([Array("let me in".utf8)], deadline: .seconds(1))
        try server.send([Array("ok".utf8)])
        #expect(throws: ZMQError.self) { try server.receive(deadline: .milliseconds(300)) }
    }

    @Test func libraryVersionIsTheRealLibzmq() {
        let (major, minor, _) = ZMQContext.version
        #expect(major == 4 && minor >= 3)
    }
}

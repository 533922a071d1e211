import Foundation
import Synchronization
import Testing
@testable import ZeroMQ

/// The ZAP handler against real libzmq CURVE handshakes over TCP.
@Suite struct ZMQAuthenticatorTests {
    /// A CURVE REP server on 127.0.0.1 that requires ZAP, and its key pair.
    struct Server {
        let context: ZMQContext
        let socket: ZMQSocket
        let keys: ZMQCurveKeyPair
        let endpoint: String
        let enforced: Bool

        init(context: ZMQContext) throws {
            self.context = context
            keys = try ZMQCurveKeyPair.generate()
            socket = try ZMQSocket(context, .rep)
            try socket.makeCurveServer(secretKey: ZMQCurveKeyPair.decode(keys.secretKey))
            enforced = try socket.requireZAP(domain: "test")
            try socket.bind("tcp://127.0.0.1:*")
            endpoint = try socket.lastEndpoint
        }

        /// Whether a client with `client`'s keys gets an answer within `deadline`.
        func answers(_ client: ZMQCurveKeyPair, deadline: Duration = .seconds(5)) throws -> Bool {
            let socket = try ZMQSocket(context, .req)
            try socket.makeCurveClient(serverKey: ZMQCurveKeyPair.decode(keys.publicKey),
                                       publicKey: ZMQCurveKeyPair.decode(client.publicKey), secretKey: ZMQCurveKeyPair.decode(client.secretKey))
            try socket.connect(endpoint)
            try socket.send([Array("hello".utf8)], deadline: .seconds(1))
            guard (try? self.socket.receive(deadline: deadline)) != nil else { return false }
            try self.socket.send([Array("hi".utf8)])
            return (try? socket.receive(deadline: .seconds(5))) != nil
        }
    }

    @Test("the handler admits the client key it allows and refuses the others, seeing each key and the domain")
    func theHandlerAdmitsTheKeyItAllowsAndRefusesOthers() throws {
        let context = try ZMQContext()
        let allowed = try ZMQCurveKeyPair.generate(), other = try ZMQCurveKeyPair.generate()
        let allowedKey = try ZMQCurveKeyPair.decode(allowed.publicKey)
        let seen = Mutex<[ZMQAuthenticator.Request]>([])
        let handler = try ZMQAuthenticator(context: context) { request in
            seen.withLock { $0.append(request) }
            return request.clientKey == allowedKey ? .allow(userId: "allowed") : .deny(reason: "not listed")
        }
        defer { handler.stop() }
        let server = try Server(context: context)

        #expect(try server.answers(allowed))
        #expect(try !server.answers(other, deadline: .seconds(1)))
        let requests = seen.withLock { $0 }
        #expect(requests.contains { $0.clientKey == allowedKey && $0.domain == "test" && $0.mechanism == "CURVE" && $0.address == "127.0.0.1" })
        #expect(requests.contains { $0.clientKey == (try? ZMQCurveKeyPair.decode(other.publicKey)) })
    }

    @Test("with ZAP required and no handler bound, a CURVE client that knows the server key is refused")
    func withoutAHandlerZAPRequiredRefusesClients() throws {
        let context = try ZMQContext()
        let server = try Server(context: context)
        #expect(server.enforced, "this libzmq honours ZMQ_ZAP_ENFORCE_DOMAIN")
        #expect(try !server.answers(try ZMQCurveKeyPair.generate(), deadline: .seconds(1)))
    }

    @Test("stop ends the handler and frees the ZAP endpoint for a new handler in the same context")
    func stopFreesTheZAPEndpoint() throws {
        let context = try ZMQContext()
        let first = try ZMQAuthenticator(context: context) { _ in .deny(reason: "first") }
        #expect(throws: ZMQError.self) { try ZMQAuthenticator(context: context) { _ in .deny(reason: "second") } }
        first.stop()
        let second = try ZMQAuthenticator(context: context) { _ in .allow(userId: "x") }
        let server = try Server(context: context)
        #expect(try server.answers(try ZMQCurveKeyPair.generate()))
        second.stop()
    }

    @Test("a malformed ZAP request gets a 400 reply that echoes its request id")
    func aMalformedRequestGetsA400() {
        let reply = ZMQAuthenticator.answer([Array("2.0".utf8), Array("7".utf8)]) { _ in .allow(userId: "x") }
        #expect(reply.count == 6)
        #expect(reply[1] == Array("7".utf8))
        #expect(reply[2] == Array("400".utf8))
        let noKey = ZMQAuthenticator.answer(["1.0", "8", "d", "1.2.3.4", "", "CURVE"].map { Array($0.utf8) }) { _ in .allow(userId: "x") }
        #expect(noKey[2] == Array("400".utf8))
    }

    @Test("the public key derived from a secret key is the pair's, and Z85 encoding round-trips")
    func publicKeyDerivationAndZ85RoundTrip() throws {
        let pair = try ZMQCurveKeyPair.generate()
        #expect(try ZMQCurveKeyPair.publicKey(forSecretKey: pair.secretKey) == pair.publicKey)
        #expect(try ZMQCurveKeyPair.encode(ZMQCurveKeyPair.decode(pair.publicKey)) == pair.publicKey)
        #expect(throws: ZMQError.self) { try ZMQCurveKeyPair.publicKey(forSecretKey: "short") }
    }

    @Test("the monitor reports a handshake with a live peer, and none for an endpoint nobody serves")
    func theMonitorSeesAHandshakeOnlyWithALivePeer() throws {
        let context = try ZMQContext()
        let publisher = try ZMQSocket(context, .pub)
        try publisher.bind("tcp://127.0.0.1:*")
        let live = try ZMQSocket(context, .sub)
        let liveMonitor = try ZMQMonitor(live, context: context)
        try live.connect(try publisher.lastEndpoint)
        #expect(try liveMonitor.waitForHandshake(deadline: .seconds(5)))

        let lonely = try ZMQSocket(context, .sub)
        let lonelyMonitor = try ZMQMonitor(lonely, context: context)
        try lonely.connect("ipc://\(NSTemporaryDirectory())zmq-nobody-\(UUID().uuidString.prefix(8)).sock")
        #expect(try !lonelyMonitor.waitForHandshake(deadline: .milliseconds(300)))
    }
}

import ZeroMQ

/// A client of the daemon's request socket. Each call has a deadline; a daemon that does not
/// answer in time gives `WireClient.Failure.noAnswer`, never a hang.
public final class WireClient {
    /// Why a call produced no reply.
    public enum Failure: Error, CustomStringConvertible {
        case noAnswer(endpoint: String, after: Duration)
        case transport(ZMQError)
        case badReply(String)

        public var description: String {
            switch self {
            case .noAnswer(let endpoint, let after):
                "no answer from ttad at \(endpoint) within \(after) (is the daemon running? `systemctl status ttad`)"
            case .transport(let error): "\(error)"
            case .badReply(let why): "the daemon's reply could not be read: \(why)"
            }
        }
    }

    public let endpoint: String
    public let timeout: Duration
    private let context: ZMQContext
    private var socket: ZMQSocket?
    private var counter = 0

    /// Connects (lazily) to `endpoint`; every call waits at most `timeout` for its reply.
    public init(endpoint: String, timeout: Duration = .seconds(5), curve: (serverKey: [UInt8], publicKey: [UInt8], secretKey: [UInt8])? = nil) throws {
        self.endpoint = endpoint
        self.timeout = timeout
        self.context = try ZMQContext()
        self.curve = curve
    }

    private let curve: (serverKey: [UInt8], publicKey: [UInt8], secretKey: [UInt8])?

    private func connected() throws -> ZMQSocket {
        if let socket { return socket }
        // DEALER, not REQ: a lost reply must not wedge the socket's send/receive state machine.
        let socket = try ZMQSocket(context, .dealer)
        if let curve { try socket.makeCurveClient(serverKey: curve.serverKey, publicKey: curve.publicKey, secretKey: curve.secretKey) }
        try socket.connect(endpoint)
        self.socket = socket
        return socket
    }

    /// Sends raw request bytes and returns the raw reply frame.
    public func callRaw(_ frames: [[UInt8]]) throws -> [UInt8] {
        do {
            let socket = try connected()
            try socket.send([[]] + frames, deadline: timeout)
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            while true {
                let left = deadline - clock.now
                guard left > .zero else { break }
                let reply = try socket.receive(deadline: left)
                // [empty delimiter, payload]
                guard reply.count == 2, reply[0].isEmpty else { throw Failure.badReply("\(reply.count) frames") }
                return reply[1]
            }
        } catch let error as ZMQError where error.isTimeout {
            reset()
            throw Failure.noAnswer(endpoint: endpoint, after: timeout)
        } catch let error as ZMQError {
            reset()
            throw Failure.transport(error)
        }
        reset()
        throw Failure.noAnswer(endpoint: endpoint, after: timeout)
    }

    /// Sends `request` and decodes the reply's result as `R`; a daemon error is thrown as `WireError`.
    public func call<R: Codable & Sendable>(_ request: Request, as: R.Type = R.self) throws -> R {
        var request = request
        counter += 1
        if request.id == nil { request.id = "c\(counter)" }
        let bytes = try callRaw(request.frames())
        let reply: Reply<R>
        do { reply = try Reply<R>.decode(bytes) } catch {
            // An error reply has no result of type R: read it as one.
            if let failure = try? Reply<Empty>.decode(bytes), let error = failure.error { throw error }
            throw Failure.badReply("\(error)")
        }
        return try reply.get()
    }

    /// Drops the socket so that a late reply to an abandoned call cannot be mistaken for the next.
    private func reset() {
        socket?.close()
        socket = nil
    }
}

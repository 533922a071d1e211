import CZeroMQ

/// The libzmq socket patterns ttad uses.
public enum ZMQSocketType: Sendable {
    case req, rep, dealer, router, pub, sub, push, pull, pair

    var raw: Int32 {
        switch self {
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        }
    }
}

/// One libzmq socket. Multipart messages are `[[UInt8]]`, one array per frame.
///
/// A libzmq socket must be used by one thread at a time; this class does not lock. It is marked
/// `@unchecked Sendable` only so that an owner can hand it to the one thread that uses it.
/// Every blocking call takes a deadline: nothing here waits forever.
public final class ZMQSocket: @unchecked Sendable {
    private var handle: UnsafeMutableRawPointer?
    /// Held so the context outlives its sockets: `zmq_ctx_term` blocks while any socket is open.
    private let context: ZMQContext
    /// The pattern this socket was created with.
    public let type: ZMQSocketType

    /// Creates a socket with linger 0 (closing never blocks on unsent messages).
    public init(_ context: ZMQContext, _ type: ZMQSocketType) throws {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw ZMQError("zmq_socket") }
        self.handle = handle
        self.context = context
        self.type = type
        try setOption(ZMQ_LINGER, Int32(0), "linger")
    }

    deinit { close() }

    /// Closes the socket; later calls fail with `ENOTSOCK`. Safe to call twice.
    public func close() {
        if let handle { zmq_close(handle) }
        handle = nil
    }

    func live(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation, code: ENOTSOCK) }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (`ipc://path`, `tcp://host:port`, `inproc://name`).
    public func bind(_ endpoint: String) throws {
        guard zmq_bind(try live("bind"), endpoint) == 0 else { throw ZMQError("bind(\(endpoint))") }
    }

    /// Stops listening on `endpoint`. For inproc:// the name is free again when this returns,
    /// whereas `close` frees it only once libzmq's reaper has destroyed the socket.
    public func unbind(_ endpoint: String) throws {
        guard zmq_unbind(try live("unbind"), endpoint) == 0 else { throw ZMQError("unbind(\(endpoint))") }
    }

    /// Connects to `endpoint`; libzmq connects in the background and reconnects after drops.
    public func connect(_ endpoint: String) throws {
        guard zmq_connect(try live("connect"), endpoint) == 0 else { throw ZMQError("connect(\(endpoint))") }
    }

    /// Drops a connection made with `connect`.
    public func disconnect(_ endpoint: String) throws {
        guard zmq_disconnect(try live("disconnect"), endpoint) == 0 else { throw ZMQError("disconnect(\(endpoint))") }
    }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to the chosen port).
    public var lastEndpoint: String {
        get throws {
            var buffer = [CChar](repeating: 0, count: 1024)
            var size = buffer.count
            guard zmq_getsockopt(try live("getsockopt"), ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
                throw ZMQError("getsockopt(last_endpoint)")
            }
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: Options

    func setOption(_ option: Int32, _ value: Int32, _ name: String) throws {
        var value = value
        guard zmq_setsockopt(try live(name), option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError("setsockopt(\(name))")
        }
    }

    func setOption(_ option: Int32, _ value: Int64, _ name: String) throws {
        var value = value
        guard zmq_setsockopt(try live(name), option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError("setsockopt(\(name))")
        }
    }

    func setOption(_ option: Int32, bytes: [UInt8], _ name: String) throws {
        let socket = try live(name)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, bytes.count) }
        guard rc == 0 else { throw ZMQError("setsockopt(\(name))") }
    }

    /// How long `send` may block before it throws a timeout (`nil`: use `send(_:deadline:)`).
    public func setSendTimeout(_ timeout: Duration) throws {
        try setOption(ZMQ_SNDTIMEO, Int32(timeout.milliseconds), "sndtimeo")
    }

    /// How long `receive` may block before it throws a timeout.
    public func setReceiveTimeout(_ timeout: Duration) throws {
        try setOption(ZMQ_RCVTIMEO, Int32(timeout.milliseconds), "rcvtimeo")
    }

    /// Messages larger than this are dropped by libzmq and the peer is disconnected.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        try setOption(ZMQ_MAXMSGSIZE, bytes, "maxmsgsize")
    }

    /// Bounds the number of queued messages in each direction.
    public func setHighWaterMark(_ messages: Int32) throws {
        try setOption(ZMQ_SNDHWM, messages, "sndhwm")
        try setOption(ZMQ_RCVHWM, messages, "rcvhwm")
    }

    /// REQ only: allow a new request after a lost reply, matching replies to requests.
    public func setRelaxedCorrelated() throws {
        try setOption(ZMQ_REQ_RELAXED, Int32(1), "req_relaxed")
        try setOption(ZMQ_REQ_CORRELATE, Int32(1), "req_correlate")
    }

    /// Sends libzmq heartbeats (ZMTP PING) every `interval` and drops a peer silent for `timeout`.
    public func setHeartbeat(interval: Duration, timeout: Duration) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, Int32(interval.milliseconds), "heartbeat_ivl")
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, Int32(timeout.milliseconds), "heartbeat_timeout")
    }

    /// SUB only: receive messages whose first frame starts with `prefix` (empty: everything).
    public func subscribe(_ prefix: [UInt8] = []) throws {
        try setOption(ZMQ_SUBSCRIBE, bytes: prefix, "subscribe")
    }

    /// Makes this socket a CURVE server with the given 32-byte secret key.
    public func makeCurveServer(secretKey: [UInt8]) throws {
        try setOption(ZMQ_CURVE_SERVER, Int32(1), "curve_server")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey, "curve_secretkey")
    }

    /// Hands every peer of this socket to the ZAP handler (`ZMQAuthenticator`) under `domain`, and
    /// refuses peers outright while no handler is bound, rather than letting them in unchecked.
    ///
    /// Without the second half libzmq admits any CURVE client when no handler answers (RFC 27's
    /// "Stonehouse" fallback). That half is `ZMQ_ZAP_ENFORCE_DOMAIN`, a draft option missing from
    /// the stable header but honoured by Debian's libzmq 4.3.4; returns false where the loaded
    /// library refuses it (then only a running handler keeps unknown clients out).
    @discardableResult
    public func requireZAP(domain: String) throws -> Bool {
        try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8), "zap_domain")
        var one: Int32 = 1
        return zmq_setsockopt(try live("zap_enforce_domain"), Self.zapEnforceDomain, &one, MemoryLayout<Int32>.size) == 0
    }

    /// `ZMQ_ZAP_ENFORCE_DOMAIN` from libzmq's draft API (zmq.h, `ZMQ_BUILD_DRAFT_API`).
    static let zapEnforceDomain: Int32 = 93

    /// Makes this socket a CURVE client of the server with `serverKey`.
    public func makeCurveClient(serverKey: [UInt8], publicKey: [UInt8], secretKey: [UInt8]) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: serverKey, "curve_serverkey")
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: publicKey, "curve_publickey")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: secretKey, "curve_secretkey")
    }

    // MARK: Messages

    /// Sends a multipart message. Throws a timeout error if the send timeout passes first.
    public func send(_ frames: [[UInt8]]) throws {
        let socket = try live("send")
        for (index, frame) in frames.enumerated() {
            let flags = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            let rc = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, frame.count, flags) }
            guard rc >= 0 else { throw ZMQError("send") }
        }
    }

    /// Sends one frame.
    public func send(_ frame: [UInt8]) throws { try send([frame]) }

    /// Sends a multipart message, waiting at most `deadline` for the socket to accept it.
    public func send(_ frames: [[UInt8]], deadline: Duration) throws {
        // A socket with room takes the message at once: no poll (a syscall) on the common path.
        if try sendWithoutWaiting(frames) { return }
        guard try poll(.out, timeout: deadline) else { throw ZMQError("send", code: EAGAIN) }
        try send(frames)
    }

    /// Sends `frames` if the socket can take them now; false (nothing sent) if it would block.
    private func sendWithoutWaiting(_ frames: [[UInt8]]) throws -> Bool {
        let socket = try live("send")
        for (index, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            let rc = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, frame.count, flags) }
            if rc < 0 {
                // Only the first frame can find the socket full; later frames of a message follow it.
                if index == 0 && zmq_errno() == EAGAIN { return false }
                throw ZMQError("send")
            }
        }
        return true
    }

    /// Receives one whole multipart message (blocking at most the receive timeout).
    public func receive() throws -> [[UInt8]] {
        let socket = try live("receive")
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        repeat {
            guard zmq_msg_recv(&message, socket, 0) >= 0 else { throw ZMQError("receive") }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            frames.append(size == 0 ? [] : [UInt8](UnsafeRawBufferPointer(start: data, count: size)))
        } while zmq_msg_more(&message) == 1
        return frames
    }

    /// Receives one multipart message, or throws a timeout error after `deadline`.
    public func receive(deadline: Duration) throws -> [[UInt8]] {
        guard try poll(.in, timeout: deadline) else { throw ZMQError("receive", code: EAGAIN) }
        return try receive()
    }

    /// What `poll` waits for.
    public enum Event: Sendable { case `in`, out }

    /// Waits up to `timeout` for the socket to become readable or writable.
    public func poll(_ event: Event, timeout: Duration) throws -> Bool {
        var item = zmq_pollitem_t(
            socket: try live("poll"), fd: 0,
            events: Int16(event == .in ? ZMQ_POLLIN : ZMQ_POLLOUT), revents: 0)
        let rc = zmq_poll(&item, 1, timeout.milliseconds)
        guard rc >= 0 else { throw ZMQError("poll") }
        return rc > 0
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a short positive deadline never becomes "no wait".
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

import Synchronization
import Foundation
import Logging
import ServiceLifecycle
import Wire
import ZeroMQ

/// Serves the request socket(s), each on a thread of its own (`ttad-requests`, and
/// `ttad-requests-tcp` when the CURVE endpoint is on). That thread decodes every request and
/// answers the control operations (`estop`, `ping`, `status`) itself, at once: they touch only
/// atomics and small mutexes. Everything that reads or writes the database or the disk goes to a
/// worker (`RequestWorker`: `ttad-reads` for history/task/checkpoints, `ttad-changes` for
/// submit/cancel/rollback/pause/resume/reload, each in arrival order), so a long history read or
/// a slow fsync never stands between a client and an e-stop.
///
/// A zmq socket belongs to one thread, so a worker does not send on the request socket: it sends
/// its reply over inproc:// to the same ROUTER (bound on an inproc endpoint too), tagged with a
/// per-process random token, and the socket's own thread passes it on to the client. A single
/// poll thus waits for clients and for workers alike. Bad input of any kind gets an error reply;
/// nothing here can stop the loop.
///
/// As a `Service`, `run` starts the socket threads and the workers and, on graceful shutdown or
/// cancellation, stops taking requests (`stop()`) and returns once they have ended. It is the first
/// part of the daemon to stop, so no request reaches a control loop that is ending.
final class RequestServer: Service, CustomStringConvertible, @unchecked Sendable {
    typealias Handler = @Sendable (Request) -> [UInt8]

    /// Where a request is answered.
    enum Lane: Sendable {
        /// On the socket's own thread, at once: nothing on this path waits for a lock an update,
        /// a file, the database or a robot can hold.
        case inline
        /// On the `ttad-reads` worker (database and checkpoint-folder reads).
        case reads
        /// On the `ttad-changes` worker (anything that changes state or writes), in arrival order.
        case changes
    }

    /// ZMQ_MAXMSGSIZE of the request sockets (libzmq checks each frame): a larger frame makes
    /// libzmq drop the connection, so the client hears nothing and times out.
    static let maxFrameBytes = Int64(WireVersion.maxAttachmentBytes + 16 * WireVersion.maxRequestBytes)

    /// Pending requests each worker holds before it answers `unavailable` (busy).
    static let workerCapacity = 32

    private let socket: ZMQSocket
    private let tcpSocket: ZMQSocket?
    /// Admits only listed CURVE clients to `tcpSocket` (ZAP); stopped after that socket closes.
    private let clientGate: CurveClientGate?
    private let handler: Handler
    private let logger: Logger
    private let watchdog: ProgressWatchdog
    private let stopFlag = StopFlag()
    private var threads: [LoopThread] = []
    /// Marks a message on a request socket as a worker's reply (a client cannot guess it).
    private let token: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    /// The inproc endpoints the request sockets also bind, one per socket, for the workers' replies.
    private let replyEndpoints: [String]
    private var reads: RequestWorker!
    private var changes: RequestWorker!

    init(context: ZMQContext, config: DaemonConfig, watchdog: ProgressWatchdog, logger: Logger, handler: @escaping Handler) throws {
        self.handler = handler
        self.logger = logger
        self.watchdog = watchdog
        socket = try ZMQSocket(context, .router)
        // Hard cap on what libzmq will buffer for one frame: an `import` file's limit plus 1 MiB, so
        // a frame above a protocol limit but below this still gets a polite `too_large` reply.
        try socket.setMaxMessageSize(Self.maxFrameBytes)
        try socket.setSendTimeout(.seconds(1))
        try Self.prepareIPC(config.requestEndpoint)
        try socket.bind(config.requestEndpoint)
        try Self.setMode(config.socketMode, endpoint: config.requestEndpoint)
        if let tcp = config.tcpEndpoint, let keyFile = config.curveSecretKeyFile {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            clientGate = try CurveClientGate(context: context, directory: config.curveClientKeysDirectory, logger: logger)
            let s = try ZMQSocket(context, .router)
            try s.makeCurveServer(secretKey: ZMQCurveKeyPair.decode(key))
            try s.requireZAP(domain: CurveClientGate.domain)
            try s.setMaxMessageSize(Self.maxFrameBytes)
            try s.setSendTimeout(.seconds(1))
            try s.bind(tcp)
            tcpSocket = s
        } else {
            tcpSocket = nil
            clientGate = nil
        }
        // inproc:// peers skip the security handshake and the message-size cap (no wire decoder),
        // so the workers' replies reach the CURVE socket and may exceed the request limit.
        let unique = UUID().uuidString.lowercased()
        replyEndpoints = (tcpSocket == nil ? [0] : [0, 1]).map { "inproc://ttad-replies-\($0)-\(unique)" }
        try socket.bind(replyEndpoints[0])
        try tcpSocket?.bind(replyEndpoints[1])
        reads = RequestWorker(name: "reads", capacity: Self.workerCapacity, context: context, endpoints: replyEndpoints,
                              token: token, handler: handler, watchdog: watchdog, logger: logger)
        changes = RequestWorker(name: "changes", capacity: Self.workerCapacity, context: context, endpoints: replyEndpoints,
                                token: token, handler: handler, watchdog: watchdog, logger: logger)
    }

    /// Which lane answers `operation`.
    static func lane(for operation: Wire.Operation) -> Lane {
        switch operation {
        case .ping, .status, .estop: .inline
        case .history, .task, .checkpoints, .exportCheckpoint, .demos: .reads
        case .submit, .evaluate, .cancel, .rollback, .pause, .resume, .reload, .import, .label: .changes
        case .demo, .removeDemonstrations, .addDemonstrations: .changes
        }
    }

    /// The path of an ipc:// endpoint, or nil for other transports.
    static func ipcPath(_ endpoint: String) -> String? {
        endpoint.hasPrefix("ipc://") ? String(endpoint.dropFirst("ipc://".count)) : nil
    }

    /// Gives an ipc:// socket file `mode` (libzmq creates it under the umask).
    static func setMode(_ mode: UInt16, endpoint: String) throws {
        guard let path = ipcPath(endpoint) else { return }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw DaemonError.startup("cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates the socket's folder and removes a stale socket file left by a killed daemon.
    static func prepareIPC(_ endpoint: String) throws {
        guard let path = ipcPath(endpoint) else { return }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        unlink(path)
    }

    let description = "RequestServer"

    /// Serves until graceful shutdown (or cancellation), then stops the threads and closes the sockets.
    func run() async throws {
        start()
        try? await gracefulShutdown()
        await onBlockingThread { [self] in stop() }
    }

    func start() {
        reads.start()
        changes.start()
        let sockets = [(socket, "requests")] + (tcpSocket.map { [($0, "requests-tcp")] } ?? [])
        for (index, (socket, name)) in sockets.enumerated() {
            threads.append(LoopThread(name: "ttad-\(name)") { [self] in
                serve(socket, index: index, name: name)
                watchdog.retire(name)
            })
        }
    }

    /// Asks the loops to finish and waits for them (at most `timeout` each).
    func stop(timeout: Duration = .seconds(5)) {
        stopFlag.set()
        let deadline = DispatchTime.now() + .milliseconds(Int(timeout.components.seconds * 1000))
        for thread in threads { thread.wait(until: deadline) }
        reads.stop(deadline: deadline)
        changes.stop(deadline: deadline)
        socket.close()
        tcpSocket?.close()
        clientGate?.stop()
    }

    /// One request socket's loop: clients' requests in, replies (its own and the workers') out.
    private func serve(_ socket: ZMQSocket, index: Int, name: String) {
        while !stopFlag.isSet {
            watchdog.beat(name)
            watchdog.tick()
            do {
                guard try socket.poll(.in, timeout: .milliseconds(100)) else { continue }
                let frames = try socket.receive()
                if frames.count >= 3, frames[1] == token {
                    // [worker, token, client envelope..., reply]: pass it on.
                    try socket.send(Array(frames.dropFirst(2)))
                } else if let reply = route(frames, transport: index) {
                    try socket.send(reply)
                }
            } catch let error as ZMQError where error.isTerminated {
                return
            } catch {
                logger.warning("request socket error", metadata: ["error": "\(error)", "socket": "\(name)"])
            }
        }
    }

    /// Answers `frames` at once (the reply envelope), or hands the request to its worker (nil).
    func route(_ frames: [[UInt8]], transport: Int) -> [[UInt8]]? {
        let prefix: [[UInt8]], request: Request
        switch Self.unwrap(frames) {
        case .failure(let error): return error.reply.isEmpty ? nil : error.reply
        case .success(let (p, payload, attachment)):
            prefix = p
            do { request = try Request.decode(payload, attachment: attachment) } catch {
                return prefix + [Reply<Empty>.failure(error, id: nil).encoded()]
            }
        }
        let worker: RequestWorker
        switch Self.lane(for: request.operation) {
        case .inline: return prefix + [handler(request)]
        case .reads: worker = reads
        case .changes: worker = changes
        }
        guard worker.enqueue(RequestWorker.Job(transport: transport, prefix: prefix, request: request)) else {
            let busy = WireError(.unavailable, "the daemon is busy: \(worker.capacity) \(worker.name) requests are waiting; try again shortly")
            return prefix + [Reply<Empty>.failure(busy, id: request.id).encoded()]
        }
        return nil
    }

    /// Splits a ROUTER message into its reply envelope, the request frame and the frame after it
    /// (`import`'s file; `Request.decode` refuses it for any other operation), or the error reply.
    /// A JSON frame is never empty, so an empty second frame is the REQ/DEALER delimiter.
    static func unwrap(_ frames: [[UInt8]]) -> Result<([[UInt8]], [UInt8], [UInt8]?), EnvelopeError> {
        guard let identity = frames.first else { return .failure(EnvelopeError(reply: [])) }
        let delimited = frames.count >= 3 && frames[1].isEmpty
        let body = frames.dropFirst(delimited ? 2 : 1)
        let prefix = delimited ? [identity, []] : [identity]
        if body.count == 1 || body.count == 2 {
            return .success((prefix, body[body.startIndex], body.count == 2 ? body[body.startIndex + 1] : nil))
        }
        let reply = Reply<Empty>.failure(WireError(.badFrames, "expected one request frame after the envelope (two for import and add_demonstrations), got \(max(0, frames.count - 2))"), id: nil)
        return .failure(EnvelopeError(reply: (frames.count >= 2 && frames[1].isEmpty ? [identity, []] : [identity]) + [reply.encoded()]))
    }

    /// A message that is not a request envelope, with the reply it gets (empty: none).
    struct EnvelopeError: Error { let reply: [[UInt8]] }
}

/// A flag one thread sets and another polls.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

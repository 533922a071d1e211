import Foundation
import Logging
import Wire
import ZeroMQ

/// A thread that answers the requests the request sockets hand it, one at a time in arrival
/// order, and sends each reply back to the socket's own thread over inproc:// (see
/// `RequestServer`). Its queue is bounded: when full, `enqueue` refuses and the client hears
/// `unavailable` at once instead of waiting behind an ever longer line.
final class RequestWorker: @unchecked Sendable {
    /// One request to answer, and where its reply goes.
    struct Job: Sendable {
        /// Which request socket it came from (an index into the reply endpoints).
        var transport: Int
        /// The client's reply envelope (identity, maybe an empty delimiter).
        var prefix: [[UInt8]]
        var request: Request
    }

    /// `reads` or `changes`: the thread is `ttad-<name>`, and the watchdog knows it by this name.
    let name: String
    /// Jobs waiting (beside the one being answered) before `enqueue` refuses.
    let capacity: Int
    private let context: ZMQContext
    private let endpoints: [String]
    private let token: [UInt8]
    private let handler: RequestServer.Handler
    private let watchdog: ProgressWatchdog
    private let logger: Logger
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopping = false
    private var thread: LoopThread?

    init(name: String, capacity: Int, context: ZMQContext, endpoints: [String], token: [UInt8],
         handler: @escaping RequestServer.Handler, watchdog: ProgressWatchdog, logger: Logger) {
        self.name = name; self.capacity = capacity; self.context = context; self.endpoints = endpoints
        self.token = token; self.handler = handler; self.watchdog = watchdog; self.logger = logger
    }

    func start() {
        thread = LoopThread(name: "ttad-\(name)") { [self] in loop() }
    }

    /// Queues a job; false (nothing queued) when `capacity` jobs already wait.
    func enqueue(_ job: Job) -> Bool {
        condition.withLock {
            guard jobs.count < capacity, !stopping else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
    }

    /// Asks the loop to finish after the job in hand (queued ones are dropped; their clients
    /// time out, as they would with a daemon that stopped) and waits until `deadline`.
    func stop(deadline: DispatchTime) {
        condition.withLock {
            stopping = true
            jobs.removeAll()
            condition.broadcast()
        }
        thread?.wait(until: deadline)
    }

    /// The next job, waiting at most `timeout`; nil on a timeout or when stopping.
    private func next(timeout: TimeInterval) -> Job? {
        condition.withLock {
            let deadline = Date().addingTimeInterval(timeout)
            while jobs.isEmpty && !stopping {
                if !condition.wait(until: deadline) { return nil }
            }
            return stopping ? nil : jobs.removeFirst()
        }
    }

    private var isStopping: Bool { condition.withLock { stopping } }

    private func loop() {
        // The sockets are made, used and closed on this thread only.
        var sockets: [ZMQSocket] = []
        do {
            for endpoint in endpoints {
                let socket = try ZMQSocket(context, .dealer)
                try socket.connect(endpoint)
                sockets.append(socket)
            }
        } catch {
            logger.error("request worker \(name) cannot reach the request sockets: \(error)")
            return
        }
        defer {
            sockets.forEach { $0.close() }
            watchdog.retire(name)
        }
        while !isStopping {
            watchdog.beat(name)
            watchdog.tick()
            guard let job = next(timeout: 0.2) else { continue }
            let reply = handler(job.request)
            watchdog.beat(name)
            do {
                try sockets[job.transport].send([token] + job.prefix + [reply], deadline: .seconds(1))
            } catch let error as ZMQError where error.isTerminated {
                return
            } catch {
                logger.warning("request worker \(name) could not pass a reply on: \(error)", metadata: ["op": "\(job.request.operation.rawValue)"])
            }
        }
    }
}

import Adaptation
import Foundation
import History
import Logging
import ServiceLifecycle
import Synchronization
import Systemd
import Wire
import ZeroMQ

/// The ttad daemon: loads the robots and the last good checkpoint, binds its sockets and answers
/// requests (control operations on the socket threads, reads and changes on two workers). Its
/// long-lived parts run as swift-service-lifecycle services in one `ServiceGroup` (`services()`):
/// the event publisher, the control loop that drives the robot, the request server, and the
/// lifecycle that tells systemd, so SIGTERM stops them in reverse order.
public final class Daemon: @unchecked Sendable {
    /// The version reported by `ping` and `status`.
    public static let version = "0.1.0"

    /// Makes the adaptation side (robots, policy, checkpoints) from the config.
    public typealias AdaptationFactory = @Sendable (DaemonConfig, Logger, AdaptationStartup) throws -> any AdaptationService

    /// What the daemon's history tells the adaptation side at start-up.
    public struct AdaptationStartup: Sendable {
        /// Checkpoints that were once the last good one, most recently good first (for a robot
        /// whose `LAST_GOOD` pointer is damaged).
        public var onceGoodCheckpoints: [String]
    }

    private let config: DaemonConfig
    private let logger: Logger
    private let makeAdaptation: AdaptationFactory
    private let notifier = SystemdNotifier()
    private let watchdog = ProgressWatchdog()
    private let started = ContinuousClock.now
    // Set in services() from the history, before any thread that reads it starts.
    private var activity: DaemonActivity!

    // Set once in services(), before the request thread starts.
    private var adaptation: (any AdaptationService)!
    private(set) var history: HistoryStore!
    private var queue: TaskQueue!
    private var events: EventPublisher!
    private var storage: StorageGuard!
    private var recorder: TaskRecorder!
    // Set in services() when `metrics.enabled`; nil otherwise.
    private var metrics: DaemonMetrics?

    public init(config: DaemonConfig, logger: Logger, makeAdaptation: @escaping AdaptationFactory) {
        self.config = config
        self.logger = logger
        self.makeAdaptation = makeAdaptation
    }

    /// Opens the history, makes the adaptation side, binds the sockets, and returns the daemon's
    /// services in start order for one `ServiceGroup`. The group starts them together and, on
    /// graceful shutdown (SIGTERM), stops them one at a time in reverse order, which is the
    /// daemon's shutdown order: say `STOPPING=1` and end the running attempt safely at once (the
    /// lifecycle calls `ControlLoop.beginStop`); stop taking requests; wait for the control loop;
    /// save the adaptation side; close the event socket; shut the ZeroMQ context down and
    /// remove the ipc socket files. A part that ends or fails on its own shuts the rest down in
    /// that same order. Call once.
    /// - Throws: what the history, the adaptation factory or the sockets threw; nothing has
    ///   started then.
    public func services() throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        history = try HistoryStore(path: "\(config.stateDirectory)/history.sqlite")
        for name in StorageGuard.removeStaleProbes(in: config.stateDirectory) {
            logger.notice("removed \(name), a storage probe a crash left behind", metadata: ["event": "temp_removed"])
        }
        let onceGood: [String]
        do { onceGood = try history.checkpointsOnceGood() } catch {
            logger.error("cannot read the checkpoint events from the history: \(error)", metadata: ["event": "history_read_failed"])
            onceGood = []
        }
        adaptation = try makeAdaptation(config, logger, AdaptationStartup(onceGoodCheckpoints: onceGood))
        storage = StorageGuard(history: history, adaptation: adaptation, logger: logger, directory: config.stateDirectory)
        storage.checkAtStartup()
        let now = Date().timeIntervalSince1970
        do {
            let interrupted = try history.markUnfinishedInterrupted(at: now)
            if !interrupted.isEmpty {
                logger.warning("\(interrupted.count) task(s) were accepted but not finished before the last stop; marked interrupted",
                               metadata: ["event": "tasks_interrupted", "task_ids": "\(interrupted.joined(separator: ","))"])
            }
        } catch let error where storage.noteFailure(error, writing: "the tasks the last run left unfinished") {
            // A full disk must not stop the start: serve status and history, mark them when space returns.
            for id in try history.unfinishedTaskIDs() {
                storage.hold(.init(taskId: id, state: .interrupted, detail: "the daemon stopped before this task finished", at: now))
            }
        }
        queue = TaskQueue(capacity: config.queueCapacity)

        let context = try ZMQContext()
        events = try EventPublisher(context: context, endpoint: config.eventEndpoint, mode: config.socketMode, logger: logger)
        // status's totals count the whole history, not just since this start.
        activity = DaemonActivity(totals: (try? history.totals()) ?? HistoryTotals())
        let metricsServer = try makeMetrics()
        recorder = TaskRecorder(history: history, events: events, logger: logger, watchdog: watchdog, activity: activity, metrics: metrics)
        // A robot that started on an older good checkpoint: in the history and the journal like any rollback.
        for event in adaptation.takeStartupEvents() { recorder.checkpointEvent(event, taskId: nil) }
        let control = ControlLoop(queue: queue, adaptation: adaptation, history: history, recorder: recorder, events: events,
                                  activity: activity, watchdog: watchdog, notifier: notifier, storage: storage, logger: logger)
        let server = try RequestServer(context: context, config: config, watchdog: watchdog, logger: logger) { [self] request in
            handle(request)
        }
        let lifecycle = DaemonLifecycle(
            notifier: notifier, adaptation: adaptation,
            readySummary: "serving on \(config.requestEndpoint); robot \(config.defaultRobot); checkpoint \(adaptation.status.live ?? "-")",
            endpoint: config.requestEndpoint, logger: logger, onStopping: { control.beginStop() })
        let endpoints = [config.requestEndpoint, config.eventEndpoint]
        let sockets = ShutdownStep("ZeroMQ context") { [logger] in
            context.shutdown()
            for endpoint in endpoints {
                if let path = RequestServer.ipcPath(endpoint) { unlink(path) }
            }
            logger.notice("stopped", metadata: ["event": "stopped"])
        }
        let adaptationShutdown = ShutdownStep("adaptation") { [adaptation] in adaptation!.shutdown() }
        // Start order; the group stops them last to first.
        let parts: [any Service] = [sockets, events, adaptationShutdown, control, server] + (metricsServer.map { [$0] } ?? []) + [lifecycle]
        return parts.map {
            .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
        }
    }

    // MARK: Requests

    /// Answers one request: `estop`, `ping` and `status` on a request socket's thread, the rest on
    /// a worker (`RequestServer.lane(for:)`). Never throws.
    func handle(_ request: Request) -> [UInt8] {
        do {
            return try dispatch(request)
        } catch let error as WireError {
            return Reply<Empty>.failure(error, id: request.id).encoded()
        } catch let error as AdaptationError {
            let code: WireError.Code = switch error.kind {
            case .invalid: .invalidField
            case .notFound: .notFound
            case .unavailable: .unavailable
            case .failed: .internal
            }
            return Reply<Empty>.failure(WireError(code, field: error.field, error.message), id: request.id).encoded()
        } catch {
            logger.error("request failed: \(error)", metadata: ["op": "\(request.operation.rawValue)"])
            return Reply<Empty>.failure(WireError(.internal, "\(error)"), id: request.id).encoded()
        }
    }

    private func dispatch(_ request: Request) throws -> [UInt8] {
        let id = request.id
        switch (request.operation, request.args) {
        case (.ping, _):
            return Reply.success(Pong(version: Self.version, pid: getpid()), id: id).encoded()
        case (.status, _):
            return Reply.success(status(), id: id).encoded()
        case (.submit, .submit(let args)):
            return Reply.success(try submit(args), id: id).encoded()
        case (.evaluate, .evaluate(let args)):
            let plan = try evaluationPlan(args, defaultRobot: config.defaultRobot, adaptation: adaptation)
            let position = try enqueue(plan)
            return Reply.success(EvaluateResult(taskId: plan.id, position: position, tasks: plan.attempts, seed: plan.seed,
                                                checkpoint: adaptation.liveCheckpoint(robot: plan.robot)), id: id).encoded()
        case (.demo, .demo(let args)):
            let plan = try demonstrationPlan(args, defaultRobot: config.defaultRobot, adaptation: adaptation)
            return Reply.success(DemoResult(taskId: plan.id, position: try enqueue(plan), count: plan.attempts), id: id).encoded()
        case (.demos, .demos(let query)):
            return Reply.success(demonstrations(query, adaptation: adaptation), id: id).encoded()
        case (.removeDemonstrations, .demonstration(let ref)):
            try adaptation.removeDemonstrations(id: ref.id)
            logger.notice("demonstration set \(ref.id) removed", metadata: ["event": "demonstrations_removed", "demonstrations": "\(ref.id)"])
            return Reply.success(AckResult(message: "demonstration set \(ref.id) removed"), id: id).encoded()
        case (.addDemonstrations, .addDemonstrations(let args)):
            return Reply.success(try addDemonstrations(args, file: request.attachment ?? [], adaptation: adaptation), id: id).encoded()
        case (.task, .task(let ref)):
            guard let info = try taskInfo(ref.taskId) else { throw WireError(.notFound, field: "args.task_id", "no task \"\(ref.taskId)\"") }
            return Reply.success(info, id: id).encoded()
        case (.cancel, .task(let ref)):
            return Reply.success(try cancel(ref.taskId), id: id).encoded()
        case (.history, .history(let query)):
            return Reply.success(try historyPage(query), id: id).encoded()
        case (.checkpoints, _):
            let list = adaptation.checkpoints().map {
                CheckpointEntry(id: $0.id, robot: $0.robot, parent: $0.parent, createdAt: $0.createdAt, state: $0.state.rawValue, live: $0.isLive, metrics: $0.metrics)
            }
            return Reply.success(CheckpointsResult(live: adaptation.status.live, lastGood: adaptation.status.lastGood, checkpoints: list), id: id).encoded()
        case (.rollback, .rollback(let args)):
            let reason = args.reason ?? "requested by a person (ttactl rollback)"
            // The recorder writes the history row, the journal entry (robot, from) and the event.
            let rollback = try adaptation.rollback(to: args.checkpoint, reason: reason, observer: recorder)
            let loaded = rollback.checkpoint ?? "-"
            notifier.status("rolled back \(rollback.robot) to \(loaded): \(reason)")
            return Reply.success(AckResult(message: "\(rollback.robot)'s live policy is now \(loaded) (was \(rollback.from ?? "-"))",
                                           checkpoint: loaded), id: id).encoded()
        case (.import, .import(let args)):
            return Reply.success(try importCheckpoint(args, file: request.attachment ?? [], adaptation: adaptation,
                                                      running: activity.snapshot.running?.plan, recorder: recorder), id: id).encoded()
        case (.exportCheckpoint, .exportCheckpoint(let args)):
            return Reply.success(try exportCheckpoint(args, adaptation: adaptation), id: id).encoded()
        case (.label, .label(let args)):
            return Reply.success(try label(args, adaptation: adaptation, logger: logger), id: id).encoded()
        case (.pause, _):
            adaptation.isAdapting = false
            logger.notice("adaptation paused", metadata: ["event": "paused"])
            return Reply.success(AckResult(message: "adaptation paused: attempts still run, no updates are made", adapting: false), id: id).encoded()
        case (.resume, _):
            adaptation.clearEmergencyStop()
            adaptation.isAdapting = true
            logger.notice("adaptation resumed", metadata: ["event": "resumed"])
            return Reply.success(AckResult(message: "adaptation resumed", adapting: true), id: id).encoded()
        case (.reload, _):
            do { try adaptation.reload() } catch {
                throw WireError(.invalidField, field: "robot_configs", "reload refused, the old robot-configs stay: \(error)")
            }
            logger.notice("reloaded robot-configs", metadata: ["event": "reloaded"])
            return Reply.success(AckResult(message: "robot-configs reloaded: \(adaptation.robots.keys.sorted().joined(separator: ", "))"), id: id).encoded()
        case (.estop, _):
            // Latch first, then cut the running task short: atomics and small mutexes only, so
            // nothing a history read, an update, a file write or a controller holds delays this.
            adaptation.emergencyStop()
            activity.snapshot.running?.cancellation.cancel(.estop)
            metrics?.estop()
            logger.critical("E-STOP: running attempt aborted, robot stopped; tasks refused until resume", metadata: ["event": "estop"])
            notifier.status("E-STOP latched: send `ttactl resume` to clear")
            return Reply.success(AckResult(message: "e-stop latched: the running attempt was aborted and the robot stopped; `ttactl resume` clears it"), id: id).encoded()
        default:
            throw WireError(.invalidField, field: "args", "arguments do not fit operation \(request.operation.rawValue)")
        }
    }

    private func submit(_ args: SubmitArgs) throws -> SubmitResult {
        let robot = args.robot ?? config.defaultRobot
        try checkRobot(robot)
        let defaults = adaptation.defaults(robot: robot) ?? TaskDefaults()
        let plan = TaskPlan(
            id: "t-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10),
            robot: robot, task: args.task, params: args.params ?? [:], dynamics: args.dynamics ?? [:],
            attempts: args.attempts ?? defaults.attempts,
            temperatureBase: args.temperatureBase ?? defaults.temperatureBase,
            temperatureRange: args.temperatureRange ?? defaults.temperatureRange,
            rewardMode: try defaults.rewardMode(args.reward, field: "args.reward"), adapt: args.adapt ?? defaults.adapt,
            priority: args.priority ?? 0, seed: args.seed ?? UInt64.random(in: 0...UInt64(Int64.max)))
        let position = try enqueue(plan)
        return SubmitResult(taskId: plan.id, position: position, attempts: plan.attempts,
                            temperatures: adaptation.temperatures(for: plan),
                            rewardMode: plan.rewardMode.rawValue, adapt: plan.adapt)
    }

    /// Refuses a new task or evaluation while the e-stop is latched or storage is failing, or
    /// for a robot this daemon does not serve.
    func checkRobot(_ robot: String) throws {
        if adaptation.status.estopped {
            throw WireError(.unavailable, "e-stop is latched; `ttactl resume` clears it")
        }
        if let failure = storage.failure {
            throw WireError(.storage, "the task was not accepted: " + (failure.hasPrefix("storage: ") ? String(failure.dropFirst(9)) : failure))
        }
        guard adaptation.robots[robot] != nil else {
            throw WireError(.invalidField, field: "args.robot", "unknown robot \"\(robot)\"; known: \(adaptation.robots.keys.sorted().joined(separator: ", "))")
        }
    }

    /// Validates a plan against its robot, records it (durably, before the client hears) and
    /// queues it; returns how many tasks are ahead of it.
    func enqueue(_ plan: TaskPlan) throws -> Int {
        try adaptation.validate(plan)
        guard queue.count < queue.capacity else {
            throw WireError(.queueFull, "the queue holds \(queue.capacity) tasks and is full; try again later")
        }
        // Durable before acknowledged: once the client hears "accepted", the task is on disk.
        let row = try TaskRow(plan: plan, submittedAt: Date().timeIntervalSince1970)
        do { try history.insert(row) } catch let error where storage.noteFailure(error, writing: "the new task") {
            throw WireError(.storage, "the task was not accepted: the history cannot be written (\(error)); `ttactl status` says when space returns")
        }
        // Published before the push: once queued, the control loop may start it at once, and a
        // subscriber must hear `task_queued` before that task's `task_started`.
        logger.info("\(plan.evaluation ? "evaluation" : "task") \(plan.id) accepted: \(plan.task) on \(plan.robot), \(plan.attempts) \(plan.evaluation ? "greedy tasks" : "attempts")", metadata: [
            "event": "task_queued", "task_id": "\(plan.id)", "robot": "\(plan.robot)", "task": "\(plan.task)",
            "kind": "\(plan.kind)",
        ])
        var event = Event(kind: .taskQueued, taskId: plan.id)
        event.attempts = plan.attempts
        events.publish(event)
        // Only this thread (`ttad-changes`) pushes, so the capacity check above still holds.
        return queue.push(plan) ?? 0
    }

    private func cancel(_ taskId: String) throws -> AckResult {
        if queue.remove(id: taskId) {
            try history.finish(taskId: taskId, state: .cancelled, detail: "cancelled before it started", candidate: nil,
                               successRate: nil, meanReward: nil, at: Date().timeIntervalSince1970)
            // Whoever waits on it (`ttactl submit` in another shell) hears that it ended.
            var finished = Event(kind: .taskFinished, taskId: taskId)
            finished.state = TaskState.cancelled.rawValue
            finished.message = "cancelled before it started"
            events.publish(finished)
            metrics?.taskCancelledBeforeStart()
            logger.info("task \(taskId) cancelled before it started", metadata: [
                "event": "task_finished", "task_id": "\(taskId)", "state": "cancelled",
            ])
            return AckResult(message: "task \(taskId) cancelled before it started")
        }
        if let running = activity.snapshot.running, running.plan.id == taskId {
            running.cancellation.cancel(.request)
            return AckResult(message: "task \(taskId) is being cancelled: the running attempt stops at its next step")
        }
        guard let row = try history.task(id: taskId) else { throw WireError(.notFound, field: "args.task_id", "no task \"\(taskId)\"") }
        throw WireError(.conflict, field: "args.task_id", "task \(taskId) is already \(row.state.rawValue)")
    }

    private func taskInfo(_ taskId: String) throws -> TaskInfo? {
        guard let row = try history.task(id: taskId) else { return nil }
        return TaskInfo(row, attempts: try history.attempts(taskId: row.id), updates: try history.updates(taskId: row.id),
                        checkpointEvents: try history.checkpointEvents(taskId: row.id))
    }

    /// One page of `history`: at most `limit` tasks after `cursor`, read from the store in chunks
    /// so that a reply stops at `HistoryResult.maxReplyBytes` of tasks without reading the rest.
    func historyPage(_ query: HistoryQuery) throws -> HistoryResult {
        var cursor: HistoryCursor?
        if let text = query.cursor {
            guard let parsed = HistoryCursor(string: text) else {
                throw WireError(.invalidField, field: "args.cursor", "\"\(text.prefix(64))\" is not a cursor this daemon made; pass a previous reply's next_cursor")
            }
            cursor = parsed
        }
        let limit = query.limit ?? 100
        var tasks: [TaskInfo] = []
        // The first page also carries what no task caused, so a report counts every rollback.
        let untasked = query.cursor != nil ? nil : try history.untaskedCheckpointEvents(
            robot: query.robot, since: query.since, until: query.until, limit: HistoryResult.maxUntaskedEvents).map(CheckpointEventInfo.init)
        var bytes = 2
        while tasks.count < limit {
            let page = try history.page(task: query.task, robot: query.robot, since: query.since, until: query.until,
                                        after: cursor, limit: min(Self.historyChunk, limit - tasks.count))
            for entry in page.entries {
                let info = TaskInfo(entry.task, attempts: entry.attempts, updates: entry.updates, checkpointEvents: entry.checkpointEvents)
                let size = HistoryResult.encodedSize(of: info)
                // Full: stop before this task; the next page starts with it.
                if !tasks.isEmpty, bytes + size > HistoryResult.maxReplyBytes {
                    return HistoryResult(tasks: tasks, nextCursor: cursor?.string, untaskedEvents: untasked)
                }
                tasks.append(info)
                bytes += size
                cursor = entry.cursor
            }
            if !page.more { return HistoryResult(tasks: tasks, nextCursor: nil, untaskedEvents: untasked) }
        }
        return HistoryResult(tasks: tasks, nextCursor: cursor?.string, untaskedEvents: untasked)
    }

    /// Tasks read from the history per query while a `history` page fills.
    static let historyChunk = 200

    /// Reads only snapshots (the adaptation side's published status, the activity, the queue's
    /// length): `status` answers while an update, a file write or a long read runs.
    private func status() -> StatusResult {
        let snapshot = activity.snapshot
        let adaptation = adaptation.status
        let (health, reason) = health(adaptation)
        var result = StatusResult(
            health: health, healthReason: reason, version: Self.version, pid: getpid(),
            uptimeSeconds: Double((ContinuousClock.now - started).components.seconds),
            robot: config.defaultRobot, backend: adaptation.robots[config.defaultRobot] ?? "?",
            robots: adaptation.robots.keys.sorted(),
            checkpoint: adaptation.live, lastGoodCheckpoint: adaptation.lastGood,
            adapting: adaptation.adapting, runningTask: snapshot.running?.plan.id,
            queued: queue.count, queueCapacity: queue.capacity,
            tasksDone: snapshot.totals.tasksDone, updatesAccepted: snapshot.totals.updatesAccepted,
            updatesRefused: snapshot.totals.updatesRefused, rollbacks: snapshot.totals.rollbacks)
        result.awaitingLabels = self.adaptation.labels.awaiting.map { .init(task: $0.task, missing: $0.missing, deadline: $0.deadline) }
        return result
    }

    /// `ok`, `degraded` or `estopped`, and why, from snapshots (for `status` and `/metrics`).
    private func health(_ adaptation: AdaptationStatus) -> (String, String?) {
        let stalled = watchdog.stalledLoops()
        if adaptation.estopped { return ("estopped", "e-stop latched; `ttactl resume` clears it") }
        if let degraded = adaptation.degraded { return ("degraded", degraded) }
        if !stalled.isEmpty { return ("degraded", "loop(s) not making progress: \(stalled.joined(separator: ", "))") }
        return ("ok", nil)
    }

    // MARK: Metrics

    /// With `metrics.enabled`: the metrics, started from the history, and their HTTP listener on the
    /// socket systemd handed over (`FileDescriptorName=metrics`), else on `metrics.listen`. A listener
    /// that cannot start is logged and the daemon serves on without it: metrics never stop a robot.
    private func makeMetrics() throws -> MetricsServer? {
        let activated = SocketActivation.take().descriptor(named: "metrics")
        guard config.metrics.enabled else {
            if activated != nil {
                logger.notice("systemd passed a metrics socket, but metrics.enabled is false: not serving /metrics", metadata: ["event": "metrics_disabled"])
            }
            return nil
        }
        let counts: HistoryCounts
        do { counts = try history.counts(recentLimit: 10_000) } catch {
            logger.error("cannot read the history's counts: the metrics counters start at 0: \(error)", metadata: ["event": "history_read_failed"])
            counts = HistoryCounts()
        }
        let metrics = DaemonMetrics(counts: counts, windowTasks: config.metrics.windowTasks)
        self.metrics = metrics
        let socket: MetricsServer.Socket
        if let fd = activated {
            guard SocketActivation.isListeningStream(fd) else {
                logger.error("the socket systemd passed as \"metrics\" (fd \(fd)) is not a listening stream socket (ListenStream=); the daemon runs on without /metrics",
                             metadata: ["event": "metrics_unavailable"])
                return nil
            }
            socket = .activated(fd)
        } else {
            let (host, port) = config.metrics.listenAddress
            socket = .address(host: host, port: port)
        }
        do {
            let server = try MetricsServer(socket: socket, maxConnections: config.metrics.maxConnections,
                                           requestTimeout: config.metrics.requestTimeoutSeconds, logger: logger) { [self] in
                // Snapshots only: the adaptation side's published status, the queue's length.
                let status = adaptation.status
                return metrics.exposition(.init(health: health(status).0, queued: queue.count, queueCapacity: queue.capacity,
                                                adapting: status.adapting, liveStepByRobot: status.liveStepByRobot))
            }
            logger.notice("serving /metrics on \(server.localAddress)\(activated != nil ? " (socket from systemd)" : "")",
                          metadata: ["event": "metrics_serving", "address": "\(server.localAddress)"])
            return server
        } catch {
            let place = activated.map { "the socket systemd passed (fd \($0))" } ?? config.metrics.listen
            logger.error("cannot serve /metrics on \(place): \(error); the daemon runs on without it",
                         metadata: ["event": "metrics_unavailable", "error": "\(error)"])
            return nil
        }
    }
}

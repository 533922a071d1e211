import Foundation
import Testing
import TTADTesting
import Wire

/// A small tmpfs mounted for one test (root only), filled and freed for real.
final class SmallDisk {
    let path: String
    private var filler: String { path + "/filler" }

    init(megabytes: Int) throws {
        path = NSTemporaryDirectory() + "ttad-disk-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", path)
    }

    /// Writes a file until the disk refuses (ENOSPC): nothing is left.
    func fill() throws {
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw Failure("open \(filler): errno \(errno)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5a, count: 4096)
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == ENOSPC { break }
                throw Failure("write \(filler): errno \(errno)")
            }
            if n < chunk.count { continue }
        }
    }

    /// Gives the space back.
    func free() { unlink(filler) }

    static func run(_ arguments: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: arguments[0])
        p.arguments = Array(arguments.dropFirst())
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw Failure("\(arguments.joined(separator: " ")) exited \(p.terminationStatus)") }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    deinit {
        _ = try? Self.run("/bin/umount", "-l", path)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Disk full, for real: the state directory on a small tmpfs that the test fills and frees.
/// Mounting needs root (CI runs as root); elsewhere these tests do not run.
@Suite(.serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct DaemonDiskFullTests {
    static func status(_ daemon: DaemonProcess) throws -> StatusResult {
        try daemon.client().call(Request(operation: .status), as: StatusResult.self)
    }

    static func submit(_ daemon: DaemonProcess, robot: String? = nil, attempts: Int = 2, seed: UInt64) throws -> SubmitResult {
        try daemon.client().call(Request(operation: .submit, args: .submit(
            SubmitArgs(robot: robot, task: "reach", attempts: attempts, adapt: false, seed: seed))), as: SubmitResult.self)
    }

    @Test("on a full disk the daemon starts, serves status and history, refuses submits with `storage`; space back, it accepts them")
    func startsOnAFullDiskAndRefusesSubmitsWithTheStorageCode() throws {
        let disk = try SmallDisk(megabytes: 8)
        let state = disk.path + "/state"
        let earlier: String
        do {
            let daemon = try DaemonProcess.serving(stateDirectory: state)
            earlier = try Self.submit(daemon, seed: 1).taskId
            #expect(try daemon.waitForTask(earlier).state == "done")
            #expect(daemon.terminate() == 0)
        }
        try disk.fill()

        let daemon = try DaemonProcess.serving(stateDirectory: state)
        let status = try Self.status(daemon)
        #expect(status.health == "degraded")
        #expect(status.healthReason?.contains("storage") == true, "\(status.healthReason ?? "nil")")
        let history = try daemon.client().call(Request(operation: .history, args: .history(HistoryQuery(limit: 10))), as: HistoryResult.self)
        #expect(history.tasks.map(\.taskId) == [earlier], "the history is served from a full disk")
        let refusal = #expect(throws: WireError.self) { try Self.submit(daemon, seed: 2) }
        #expect(refusal?.code == .storage, "\(String(describing: refusal))")
        #expect(refusal?.message.contains("not accepted") == true && refusal?.message.contains(state) == true, "\(String(describing: refusal))")

        disk.free()
        #expect(try Poll.until(every: .milliseconds(100)) { try Self.status(daemon).health == "ok" }, "health recovers once space returns: \(daemon.log)")
        let accepted = try Self.submit(daemon, seed: 3)
        #expect(try daemon.waitForTask(accepted.taskId).state == "done")
        #expect(daemon.log.contains("storage writable again"))
        #expect(daemon.terminate() == 0)
    }

    @Test("a task whose result cannot be written is ended `failed` and written once space returns; meanwhile degraded, submits refused")
    func aRunningTaskWhoseResultCannotBeWrittenIsEndedWhenSpaceReturns() throws {
        let disk = try SmallDisk(megabytes: 8)
        let work = NSTemporaryDirectory() + "ttad-diskfull-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The bridge robot against the reference controller, which takes 1.5 s per reset: a task
        // that is still running when the disk fills.
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let controllerEndpoint = "ipc://\(work)/controller.sock"
        let yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controllerEndpoint)
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let controller = try ControllerProcess.reference(endpoint: controllerEndpoint, ["--reset-wait-ms", "1500"])
        defer { controller.terminate() }

        let daemon = try DaemonProcess.serving(stateDirectory: disk.path + "/state", robotConfigDirectory: robots)
        let task = try Self.submit(daemon, robot: "bridge-example", attempts: 2, seed: 4).taskId
        let client = try daemon.client()
        func info() throws -> TaskInfo { try client.call(Request(operation: .task, args: .task(TaskRef(taskId: task))), as: TaskInfo.self) }
        #expect(try Poll.until(every: .milliseconds(100)) { try info().state == "running" }, "\(daemon.log)")
        try disk.fill()

        // The task ends while nothing can be written: the daemon says so and refuses new work.
        #expect(try Poll.until(.seconds(60), every: .milliseconds(100)) { let s = try Self.status(daemon); return s.runningTask == nil && s.tasksDone == 1 })
        let during = try Self.status(daemon)
        #expect(during.health == "degraded")
        #expect(during.healthReason?.contains("task \(task)'s result") == true, "\(during.healthReason ?? "nil")")
        let refusal = #expect(throws: WireError.self) { try Self.submit(daemon, seed: 5) }
        #expect(refusal?.code == .storage)

        disk.free()
        #expect(try Poll.until(every: .milliseconds(100)) { try info().state != "running" }, "written once space returns: \(daemon.log)")
        let ended = try info()
        #expect(ended.state == "failed")
        #expect(ended.detail?.contains("could not take its result") == true, "\(ended.detail ?? "nil")")
        #expect(ended.finishedAt != nil)
        #expect(try Poll.until(every: .milliseconds(100)) { try Self.status(daemon).health == "ok" }, "\(daemon.log)")
        #expect(daemon.terminate() == 0)
    }
}

import Foundation
import Testing
import TTADTesting
import Wire

/// What a subscriber to the event socket hears, and in which order: a real daemon, a real SUB socket.
@Suite(.serialized) struct DaemonEventOrderTests {
    @Test("every task's task_queued reaches a subscriber before its task_started")
    func taskQueuedPrecedesTaskStartedForEveryTask() throws {
        let daemon = try DaemonProcess.serving(extraConfig: "queue_capacity: 64")
        let events = try daemon.subscribe()
        // Short tasks submitted back to back: the control loop is often idle, waiting to pop the
        // next one the moment it is queued, which is when a late task_queued would lose the race.
        var ids: [String] = []
        for seed in 0..<40 {
            ids.append(try daemon.submit(SubmitArgs(task: "reach", attempts: 1, adapt: false, seed: UInt64(seed))).taskId)
        }
        var pending = Set(ids)
        let heard = try events.events(until: { event in
            if event.kind == .taskFinished, let id = event.taskId { pending.remove(id) }
            return pending.isEmpty
        }, deadline: .seconds(300))
        try #require(pending.isEmpty, "no task_finished for \(pending.count) task(s)\n\(daemon.log)")
        for id in ids {
            let kinds = heard.filter { $0.taskId == id }.map(\.kind)
            let queued = kinds.firstIndex(of: .taskQueued), started = kinds.firstIndex(of: .taskStarted)
            #expect(queued != nil && started != nil, "task \(id): \(kinds)")
            if let queued, let started { #expect(queued < started, "task \(id) was heard in the order \(kinds)") }
        }
        #expect(daemon.terminate() == 0)
    }
}

import Adaptation
import Foundation

/// The bounded queue of accepted tasks: higher priority first, arrival order within a priority.
/// Full means full: `push` refuses, and the caller tells the client (`queue_full`).
final class TaskQueue: @unchecked Sendable {
    private var items: [(plan: TaskPlan, order: Int)] = []
    private var counter = 0
    private let condition = NSCondition()
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { condition.withLock { items.count } }

    /// Adds a plan; returns how many tasks are ahead of it, or nil when the queue is full.
    func push(_ plan: TaskPlan) -> Int? {
        condition.withLock {
            guard items.count < capacity else { return nil }
            counter += 1
            items.append((plan, counter))
            items.sort { ($0.plan.priority, -$0.order) > ($1.plan.priority, -$1.order) }
            condition.signal()
            return items.firstIndex { $0.order == counter }!
        }
    }

    /// Takes the next plan, waiting at most `timeout`.
    func pop(timeout: TimeInterval) -> TaskPlan? {
        condition.withLock {
            let deadline = Date().addingTimeInterval(timeout)
            while items.isEmpty {
                if !condition.wait(until: deadline) { return nil }
            }
            return items.removeFirst().plan
        }
    }

    /// Removes a queued task (cancel); true when it was there.
    func remove(id: String) -> Bool {
        condition.withLock {
            guard let index = items.firstIndex(where: { $0.plan.id == id }) else { return false }
            items.remove(at: index)
            return true
        }
    }
}

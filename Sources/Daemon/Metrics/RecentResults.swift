/// The latest finished training tasks' results per robot and task, at most `size` of each, for
/// the windowed success-rate and mean-reward gauges (`ttad_task_success_ratio`, `ttad_task_mean_reward`).
struct RecentResults {
    private struct Key: Hashable { var robot: String; var task: String }
    private var results: [Key: [(successRate: Double, meanReward: Double)]] = [:]
    let size: Int

    init(size: Int) { self.size = size }

    /// Adds one task's result; returns its window's mean success rate and mean reward.
    mutating func add(robot: String, task: String, successRate: Double, meanReward: Double) -> (Double, Double) {
        let key = Key(robot: robot, task: task)
        var window = results[key, default: []]
        window.append((successRate, meanReward))
        if window.count > size { window.removeFirst(window.count - size) }
        results[key] = window
        let n = Double(window.count)
        return (window.map(\.successRate).reduce(0, +) / n, window.map(\.meanReward).reduce(0, +) / n)
    }
}

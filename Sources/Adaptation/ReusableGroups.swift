import Learning

/// The groups the last few accepted updates trained on, for the next updates to reuse
/// (`learning.replay_groups`, importance-weighted reuse; docs/learning.md "Reusing earlier
/// groups"): their own attempts, marked `replayed`, with the advantages they trained on. In memory
/// only: a restart, a rollback or an import starts the reuse afresh.
struct ReusableGroups {
    /// Oldest first.
    private(set) var groups: [[(attempt: Trajectory, advantage: Double)]] = []

    /// The attempts of the last `limit` kept groups with their advantages, oldest group first
    /// (a reload may have lowered `replay_groups` since they were kept; 0 gives none).
    func recent(_ limit: Int) -> [(attempt: Trajectory, advantage: Double)] { groups.suffix(max(limit, 0)).flatMap { $0 } }

    /// Keeps an accepted update's group, and at most the last `limit` groups (0 keeps none).
    /// Attempts at advantage 0 carry nothing and are left out.
    mutating func remember(_ attempts: [Trajectory], advantages: [Double], limit: Int) {
        guard limit > 0 else { groups = []; return }
        let group = zip(attempts, advantages).filter { $0.1 != 0 }.map { attempt, advantage -> (attempt: Trajectory, advantage: Double) in
            var reused = attempt
            reused.replayed = true
            return (reused, advantage)
        }
        if !group.isEmpty { groups.append(group) }
        if groups.count > limit { groups.removeFirst(groups.count - limit) }
    }

    /// Forgets every group (another policy is live: their behaviour is not its history).
    mutating func forget() { groups = [] }
}

/// GRPO's group-relative advantage: A_i = (R_i - mean(R)) / (std(R) + epsilon), one per attempt,
/// given to every step of that attempt. No critic.
public enum GroupAdvantage {
    /// How a group's centred rewards are scaled.
    public enum Normalization: String, Sendable, Codable, CaseIterable {
        /// GRPO (the seed's): divide by the group's standard deviation, so every informative group
        /// pushes equally hard, whatever its reward spread.
        case std
        /// Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"): subtract the mean
        /// only. A group whose rewards differ by a little (all succeeded, in slightly different
        /// step counts) pushes a little; std scaling would blow that up to a full-size push.
        case mean
    }

    /// The advantages of a group's rewards, or nil when the group carries no signal: fewer than two
    /// attempts, all rewards equal (every attempt succeeded alike or all failed), or a non-finite reward.
    ///
    /// `std` is the unbiased sample standard deviation (N - 1), as `torch.std` in the GRPO
    /// implementations SimpleVLA-RL builds on.
    ///
    /// `stdFloor` bounds the divisor from below: `(R - mean) / (max(std, stdFloor) + epsilon)`. A
    /// group whose rewards differ by little (every attempt succeeded, in slightly different step
    /// counts) then pushes by less than a group split between success and failure, instead of
    /// being blown up to the same size. 0 is GRPO's plain std.
    public static func advantages(rewards: [Double], normalization: Normalization = .std, stdFloor: Double = 0,
                                  epsilon: Double = 1e-6) -> [Double]? {
        guard rewards.count >= 2, rewards.allSatisfy(\.isFinite) else { return nil }
        let n = Double(rewards.count)
        let mean = rewards.reduce(0, +) / n
        // Rewards equal up to rounding: (R - mean) would be noise divided by epsilon.
        guard let lo = rewards.min(), let hi = rewards.max(), hi - lo > 1e-12 else { return nil }
        let d = divisor(rewards: rewards, normalization: normalization, stdFloor: stdFloor, epsilon: epsilon)
        return rewards.map { ($0 - mean) / d }
    }

    /// What `advantages` divides a group's centred rewards by: max(std, stdFloor) + epsilon with
    /// `std` normalisation, 1 with `mean`.
    public static func divisor(rewards: [Double], normalization: Normalization, stdFloor: Double = 0, epsilon: Double = 1e-6) -> Double {
        guard normalization == .std, rewards.count >= 2 else { return 1 }
        let n = Double(rewards.count)
        let mean = rewards.reduce(0, +) / n
        let variance = rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return max(variance.squareRoot(), stdFloor) + epsilon
    }

    /// The state-value baseline's per-step part of an attempt's advantage (`StateValueBaseline`,
    /// `value_baseline_weight`): -weight x (V(s_t) - V(s_0)) / divisor for each step t, from the
    /// attempt's `values` V(s_t) (values[0] at the task's shared start). Added to the attempt's
    /// advantage (R - mean_j R_j) / divisor, step t's advantage becomes
    /// (R - b_t) / divisor with the baseline b_t = mean_j R_j + weight x (V(s_t) - V(s_0)): the
    /// group's mean at the start, moved with the value of the state the step was taken in.
    public static func valueBaselineOffsets(values: [Float], divisor: Double, weight: Double) -> [Float] {
        guard let v0 = values.first, divisor > 0, weight != 0 else { return [Float](repeating: 0, count: values.count) }
        return values.map { Float(-weight * Double($0 - v0) / divisor) }
    }

    /// The speed term of a group that mixes successes and failures: the successes' rewards
    /// normalised among the successes alone, exactly as `advantages` would normalise a group made
    /// of them, times `weight`; 0 for every failure. Nil when fewer than two attempts succeeded or
    /// their rewards are equal (the binary reward: successes do not differ).
    ///
    /// Why: in a mixed group the success/failure split sets the std (about 0.35-0.5), so two
    /// successes 10 steps apart (efficiency rewards a few hundredths apart) differ in advantage by
    /// a tenth of a success's push, and the efficiency reward hardly acts. Added to the group's
    /// advantages, this term pushes a mixed group's successes toward the faster ones as hard as
    /// an all-success group of them would be pushed (`stdFloor` bounds it the same way).
    public static func successSpeedTerm(rewards: [Double], success: [Bool], weight: Double,
                                        normalization: Normalization = .std, stdFloor: Double = 0) -> [Double]? {
        guard rewards.count == success.count else { return nil }
        return subgroupTerm(rewards, members: success, weight: weight, normalization: normalization, stdFloor: stdFloor)
    }

    /// The near-miss term of a group that mixes successes and failures: the failures' progress
    /// (how close each came, 0 to 1) normalised among the failures alone, as an all-failed group
    /// of them trains (`zero_success_progress_weight`), times `weight`; 0 for every success. Nil
    /// when fewer than two attempts failed, one of them reported no progress, or their progress
    /// spreads by less than `minSpread` (below it normalising would blow measurement noise up).
    ///
    /// Why: in a mixed group every failure gets the same advantage, so a near miss is pushed down
    /// as hard as an attempt that went nowhere; an all-failed group already tells them apart.
    public static func failureProgressTerm(progress: [Double?], success: [Bool], weight: Double, minSpread: Double,
                                           normalization: Normalization = .std) -> [Double]? {
        guard progress.count == success.count else { return nil }
        let failed = progress.indices.filter { !success[$0] }
        let values = failed.compactMap { progress[$0] }
        guard values.count == failed.count, let lo = values.min(), let hi = values.max(), hi - lo >= max(minSpread, 1e-9)
        else { return nil }
        return subgroupTerm(progress.map { $0 ?? 0 }, members: success.map { !$0 }, weight: weight, normalization: normalization)
    }

    /// `weight` x the advantages of `values` among the `members` alone; 0 for the others.
    private static func subgroupTerm(_ values: [Double], members: [Bool], weight: Double, normalization: Normalization,
                                     stdFloor: Double = 0) -> [Double]? {
        guard weight > 0 else { return nil }
        let indices = values.indices.filter { members[$0] }
        guard let within = advantages(rewards: indices.map { values[$0] }, normalization: normalization, stdFloor: stdFloor)
        else { return nil }
        var term = [Double](repeating: 0, count: values.count)
        for (k, i) in indices.enumerated() { term[i] = weight * within[k] }
        return term
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The PPO objective of one minibatch, in one place, with the terms named as in the literature
/// (and CleanRL's `ppo_continuous_action.py`):
///
///     logratio   = new_logprob - old_logprob          (each at the step's own temperature)
///     ratio      = exp(logratio)
///     pg_loss    = mean(max(-A * ratio, -A * clip(ratio, 1 - clip_low, 1 + clip_high)))
///     approx_kl  = mean((ratio - 1) - logratio)       (Schulman's k3, to the behaviour policy)
///     clipfrac   = mean(ratio outside [1 - clip_low, 1 + clip_high])
///     entropy    = mean(H(pi(. | obs)))
///     kl_ref     = mean(exp(ref_logprob - new_logprob) - (ref_logprob - new_logprob) - 1)
///     bc_loss    = mean_intervened(-new_logprob(executed action))   (at T = 1)
///     loss       = pg_loss - entropy_coef * entropy + kl_coef * kl_ref + intervention_weight * bc_loss
///
/// (Steps of a stored demonstration are behaviour-cloning steps too, weighted by
/// `demonstration_weight` instead of `intervention_weight`; `bc_loss` is the mean over both.)
///
/// The first five terms are means over the policy's own steps of the minibatch (GRPO's
/// token-mean); `bc_loss` is a mean over its intervened steps, where a person drove and the
/// "action" is the one they executed: behaviour cloning, never a ratio (ttad did not choose it, so
/// there is no behaviour log-prob to divide by). Advantages are the group's,
/// used as given: they are already normalised within the group, so there is no per-minibatch
/// renormalisation (which would change their sign balance on small minibatches).
struct PPOLoss {
    /// The scalar terms of one evaluation.
    struct Terms {
        var loss = 0.0
        var pgLoss = 0.0
        var approxKL = 0.0
        var clipFrac = 0.0
        var entropy = 0.0
        var klRef = 0.0
        var bcLoss = 0.0
        /// The minibatch's own and intervened steps.
        var ownSteps = 0
        var intervenedSteps = 0
    }

    let clipLow: Double
    let clipHigh: Double
    let entropyCoef: Double
    let klCoef: Double
    let interventionWeight: Double
    let demonstrationWeight: Double

    /// The marker of a stored demonstration's step in `evaluate`'s `intervened` (1: an intervention).
    static let demonstrationMarker: Float = 2

    init(config: PPOConfig) {
        interventionWeight = config.interventionWeight
        demonstrationWeight = config.demonstrationWeight
        clipLow = config.clipLow
        clipHigh = config.clipHigh
        entropyCoef = config.entropyCoef
        klCoef = config.klCoef
    }

    /// Evaluates the loss of `count` steps and writes d(loss)/d(new_logprob_i) to `dLogProb` and
    /// d(loss)/d(entropy_i) to `dEntropy` (both include the 1/count of the mean).
    /// `refLogProb` nil means no reference policy: kl_ref is 0 and has no gradient.
    /// `intervened[i]` nonzero marks an intervened step (its old log-prob and advantage are unused):
    /// 1 a person's intervention, `demonstrationMarker` a stored demonstration's step.
    func evaluate(
        count m: Int,
        newLogProb: UnsafePointer<Float>, oldLogProb: UnsafePointer<Float>, advantages: UnsafePointer<Float>,
        entropies: UnsafePointer<Float>, refLogProb: UnsafePointer<Float>?, intervened: UnsafePointer<Float>,
        dLogProb: UnsafeMutablePointer<Float>, dEntropy: UnsafeMutablePointer<Float>
    ) -> Terms {
        var t = Terms()
        guard m > 0 else { return t }
        for i in 0..<m { if intervened[i] != 0 { t.intervenedSteps += 1 } }
        t.ownSteps = m - t.intervenedSteps
        let invM = t.ownSteps > 0 ? 1 / Double(t.ownSteps) : 0
        let invBC = t.intervenedSteps > 0 ? 1 / Double(t.intervenedSteps) : 0
        let lower = 1 - clipLow, upper = 1 + clipHigh
        // The demonstrations' part of the summed NLL (0 without any: the loss is then as before).
        var demonstrationNLL = 0.0
        for i in 0..<m {
            if intervened[i] == Self.demonstrationMarker {
                demonstrationNLL -= Double(newLogProb[i])
                dLogProb[i] = Float(-demonstrationWeight * invBC)
                dEntropy[i] = 0
                continue
            }
            if intervened[i] != 0 {
                // Behaviour cloning of the executed action: d(-w * logprob)/d logprob = -w.
                t.bcLoss -= Double(newLogProb[i])
                dLogProb[i] = Float(-interventionWeight * invBC)
                dEntropy[i] = 0
                continue
            }
            let a = Double(advantages[i])
            let logratio = Double(newLogProb[i]) - Double(oldLogProb[i])
            let ratio = exp(logratio)
            let clipped = min(max(ratio, lower), upper)
            let pgLoss1 = -a * ratio
            let pgLoss2 = -a * clipped
            // The max picks the clipped term only when it is strictly larger; there its gradient is 0.
            let unclippedWins = pgLoss1 >= pgLoss2
            t.pgLoss += max(pgLoss1, pgLoss2)
            t.approxKL += (ratio - 1) - logratio
            if ratio < lower || ratio > upper { t.clipFrac += 1 }
            t.entropy += Double(entropies[i])
            // d pg_loss / d new_logprob = -A * ratio on the unclipped branch (d ratio / d logprob = ratio).
            var g = unclippedWins ? -a * ratio : 0
            if let refLogProb {
                let d = Double(refLogProb[i]) - Double(newLogProb[i])
                let ed = exp(d)
                t.klRef += ed - d - 1
                // d/d new_logprob of exp(d) - d - 1 with d = ref - new: -exp(d) + 1.
                g += klCoef * (1 - ed)
            }
            dLogProb[i] = Float(g * invM)
            dEntropy[i] = Float(-entropyCoef * invM)
        }
        t.pgLoss *= invM; t.approxKL *= invM; t.clipFrac *= invM; t.entropy *= invM; t.klRef *= invM
        let interventionLoss = t.bcLoss * invBC
        t.bcLoss = (t.bcLoss + demonstrationNLL) * invBC
        t.loss = t.pgLoss - entropyCoef * t.entropy + (refLogProb == nil ? 0 : klCoef * t.klRef) + interventionWeight * interventionLoss
            + demonstrationWeight * (demonstrationNLL * invBC)
        return t
    }
}

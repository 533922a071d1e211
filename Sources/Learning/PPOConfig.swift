/// Every hyperparameter of the update, with its default (docs/learning.md explains each choice).
///
/// A robot-config sets them in its `learning:` section under the snake_case names of `Key`;
/// every key is optional and takes its default when absent.
public struct PPOConfig: Sendable, Equatable {
    /// Adam step size. Default 1e-3: on the Reacher baseline (Adam kept across tasks, 4 epochs)
    /// 1e-4 changed nothing in 50 tasks, 1e-3 worked and 3e-3 hurt.
    public var learningRate: Double = 1e-3
    /// Lower clip: the ratio is clipped below at 1 - clipLow. Default 0.2.
    public var clipLow: Double = 0.2
    /// Upper clip: the ratio is clipped above at 1 + clipHigh. Default 0.28 (SimpleVLA-RL's
    /// asymmetric "clip-higher", leaves room to raise unlikely good actions).
    public var clipHigh: Double = 0.28
    /// Passes over the group's steps per update. Default 4.
    public var epochs: Int = 4
    /// Minibatches per epoch (the steps are shuffled each epoch). Default 4.
    public var minibatches: Int = 4
    /// Global gradient-norm clip. Default 1.0 (SimpleVLA-RL).
    public var maxGradNorm: Double = 1.0
    /// Weight of the KL penalty to the reference policy (k3 estimator). Default 0 (off, as GRPO in SimpleVLA-RL).
    public var klCoef: Double = 0
    /// Weight of the entropy bonus. Default 0 (off).
    public var entropyCoef: Double = 0
    /// Early stop: stop the update before a minibatch whose approx-KL to the behaviour policy
    /// exceeds this. Default 0.02; nil disables.
    public var targetKL: Double? = 0.02
    /// Refuse (and restore) an update whose final approx-KL to the behaviour policy exceeds this.
    /// Default 0.1.
    public var hardKL: Double = 0.1
    /// Adam beta1. Default 0.9.
    public var adamBeta1: Double = 0.9
    /// Adam beta2. Default 0.999.
    public var adamBeta2: Double = 0.999
    /// Adam epsilon. Default 1e-5 (CleanRL; PyTorch's 1e-8 makes early steps on rarely-seen
    /// parameters too large).
    public var adamEps: Double = 1e-5

    /// Adaptive step size (as legged_gym's PPO): after each update, divide the learning rate by
    /// 1.5 when approx-KL exceeded 2 x `desiredKL` (or the update was refused), multiply it by 1.5
    /// when approx-KL stayed under `desiredKL` / 2, within [`learningRateMin`, `learningRateMax`].
    /// The right step depends on how spread the policy is (a gaussian with std 0.03 tolerates a
    /// step 10x smaller than one with std 0.5); this finds it. Default true.
    public var adaptiveLearningRate: Bool = true
    /// The approx-KL per update the adaptive step size aims for. Default 0.01.
    public var desiredKL: Double = 0.01
    /// Bounds of the adaptive learning rate. Defaults 1e-5 and 1e-2.
    public var learningRateMin: Double = 1e-5
    public var learningRateMax: Double = 1e-2
    /// With `adaptiveLearningRate`, an update refused for its KL (past `hardKL`) is tried again on
    /// the same attempts at the rate divided by 1.5, at most this many times, before the task's
    /// update is given up. Default 4: a fresh Adam state (an imported start) makes the first steps
    /// about `lr` x sign(gradient) for every parameter, and the suite's gaussian heads then saw a
    /// first KL of 0.12-1.5; each division cuts the KL about 2.25-fold, so 4 reach 0.1 from 2.5.
    /// Without retries each of those divisions cost a task's update (robot time); a retry costs
    /// only the CPU of a refused epoch. 0: a refused update is given up at once.
    public var klRefusalRetries: Int = 4
    /// Which parameter tensors the update may change, by name prefix ("head" is `head.weight`,
    /// `head.bias` and `head.log_std`; "layers.1" the second hidden layer). nil (default): all.
    /// Adapting a few tensors instead of the whole network spends each update's KL budget on fewer
    /// directions, so less of it goes to noise; the rest keeps what pretraining learned.
    public var trainable: [String]? = nil
    /// Weight of the behaviour-cloning term on intervened steps (a person drove them over the
    /// bridge): `intervention_weight * mean(-log pi(executed action | obs))` at T = 1, added to the
    /// PPO loss; intervened steps never take a PPO ratio. Default 1.0 (the NLL of one step is on
    /// the scale of a PPO step's surrogate); 0 ignores interventions in updates.
    public var interventionWeight: Double = 1.0
    /// Weight of the behaviour-cloning term on the steps of stored demonstrations (`ttactl demo`,
    /// `add_demonstrations`), which each update of the robot on the task family adds as intervened
    /// steps (advantage 0, never a PPO ratio). Default 1.0; 0 leaves demonstrations out of updates.
    public var demonstrationWeight: Double = 1.0
    /// At most this many stored demonstration steps join one update (a draw seeded by the task;
    /// all of them when there are fewer). Default 512 (about one group's own steps).
    public var demonstrationSteps: Int = 512
    /// Adam steps of the cloning phase after each accepted update on a task family with a person's
    /// steps (stored demonstrations, or steps a person drove in the task's attempts):
    /// `BehaviourCloner`. Default 50; 0 turns the phase off (the PPO loss's cloning term stays).
    public var cloneSteps: Int = 50
    /// Steps per minibatch of the cloning phase, drawn with replacement. Default 256.
    public var cloneBatchSize: Int = 256
    /// Which tensors the cloning phase may change, by name prefix as `trainable` (which is the PPO
    /// update's alone); a gaussian head's `head.log_std` never. nil (default): all. A person's
    /// demonstrations and corrections need the hidden layers: reacher2's cold start taught with the
    /// head only gained 7 points, with every tensor 43 (the PPO update head-only either way).
    public var cloneTrainable: [String]? = nil
    /// The cloning phase's Adam step size (fixed: its loss is supervised, not the PPO ratio's KL
    /// that `adaptive_learning_rate` steers). Default 1e-3.
    public var cloneLearningRate: Double = 1e-3
    /// Groups of earlier updates reused by each update (importance-weighted reuse, beyond the
    /// seed): the last K accepted updates' attempts join the new group with the advantages they
    /// had, each of their steps weighted by the truncated importance ratio
    /// min(1, pi_before(a|s) / pi_behaviour(a|s)) and clipped around the policy before this update
    /// (decoupled PPO), so an update sees K + 1 groups' steps at one group's KL. Forgotten on a
    /// rollback or restart. Default 0 (off); 0 to 16.
    public var replayGroups: Int = 0
    /// How the policy loss weighs an attempt's steps (beyond the seed, which takes GRPO's
    /// token-mean). `step_mean` (default): every step alike, so an attempt counts in proportion to
    /// its length and a slow success pushes the policy more than a fast one. `attempt_mean`: each
    /// attempt's steps weighted by (the group's mean attempt length) / (its own length), so every
    /// attempt counts alike whatever its length (GRPO's per-sequence mean, whose length bias Dr.
    /// GRPO removes for language; among a robot's successes it favours the fast ones). Measured
    /// on the adaptation suite: the binary reward's policy got faster, the efficiency reward's
    /// hardly (docs/experiment.md, "Three more levers for speed").
    public var lossAggregation: LossAggregation = .stepMean

    /// How the policy loss weighs an attempt's steps (`loss_aggregation`).
    public enum LossAggregation: String, CaseIterable, Sendable {
        /// Every own step alike (GRPO's token-mean).
        case stepMean = "step_mean"
        /// Every attempt alike: its steps weighted by mean length / its length.
        case attemptMean = "attempt_mean"
    }

    /// The defaults.
    public init() {}

    /// The defaults, changed by `change`: `PPOConfig { $0.targetKL = nil }`. Each default is
    /// written once, on its property above.
    public init(_ change: (inout PPOConfig) -> Void) {
        self.init()
        change(&self)
    }

    /// The robot-config's names of the hyperparameters (`learning:` section), one per property.
    public enum Key: String, CaseIterable, Sendable {
        case learningRate = "learning_rate", clipLow = "clip_low", clipHigh = "clip_high", epochs, minibatches
        case maxGradNorm = "max_grad_norm", klCoef = "kl_coef", entropyCoef = "entropy_coef"
        case targetKL = "target_kl", hardKL = "hard_kl", adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2"
        case adamEps = "adam_eps", trainable
        case adaptiveLearningRate = "adaptive_learning_rate", desiredKL = "desired_kl"
        case learningRateMin = "learning_rate_min", learningRateMax = "learning_rate_max"
        case klRefusalRetries = "kl_refusal_retries"
        case interventionWeight = "intervention_weight"
        case demonstrationWeight = "demonstration_weight", demonstrationSteps = "demonstration_steps"
        case cloneSteps = "clone_steps", cloneBatchSize = "clone_batch_size", cloneLearningRate = "clone_learning_rate"
        case cloneTrainable = "clone_trainable"
        case replayGroups = "replay_groups", lossAggregation = "loss_aggregation"
    }

    /// The first hyperparameter outside its range, as (key, what is expected), or nil when every
    /// one is usable. The robot-config loader turns it into an error naming the file and key.
    public var rangeProblem: (key: String, expected: String)? {
        func positive(_ x: Double) -> Bool { x.isFinite && x > 0 }
        func nonNegative(_ x: Double) -> Bool { x.isFinite && x >= 0 }
        let checks: [(Bool, Key, String)] = [
            (positive(learningRate), .learningRate, "a number > 0"),
            (clipLow > 0 && clipLow < 1, .clipLow, "a number in (0, 1)"),
            (positive(clipHigh), .clipHigh, "a number > 0"),
            ((1...1000).contains(epochs), .epochs, "an integer from 1 to 1000"),
            ((1...4096).contains(minibatches), .minibatches, "an integer from 1 to 4096"),
            (positive(maxGradNorm), .maxGradNorm, "a number > 0"),
            (nonNegative(klCoef), .klCoef, "a number >= 0"),
            (nonNegative(entropyCoef), .entropyCoef, "a number >= 0"),
            (targetKL.map(positive) ?? true, .targetKL, "a number > 0, or null to disable early stopping"),
            (positive(hardKL), .hardKL, "a number > 0"),
            (adamBeta1 >= 0 && adamBeta1 < 1, .adamBeta1, "a number in [0, 1)"),
            (adamBeta2 >= 0 && adamBeta2 < 1, .adamBeta2, "a number in [0, 1)"),
            (positive(adamEps), .adamEps, "a number > 0"),
            (positive(desiredKL), .desiredKL, "a number > 0"),
            (positive(learningRateMin), .learningRateMin, "a number > 0"),
            (positive(learningRateMax) && learningRateMax >= learningRateMin, .learningRateMax, "a number >= learning_rate_min"),
            ((0...20).contains(klRefusalRetries), .klRefusalRetries, "an integer from 0 to 20"),
            (nonNegative(interventionWeight), .interventionWeight, "a number >= 0"),
            (nonNegative(demonstrationWeight), .demonstrationWeight, "a number >= 0"),
            ((1...1_000_000).contains(demonstrationSteps), .demonstrationSteps, "an integer from 1 to 1000000"),
            ((0...10_000).contains(cloneSteps), .cloneSteps, "an integer from 0 to 10000"),
            ((1...65_536).contains(cloneBatchSize), .cloneBatchSize, "an integer from 1 to 65536"),
            (positive(cloneLearningRate), .cloneLearningRate, "a number > 0"),
            ((0...16).contains(replayGroups), .replayGroups, "an integer from 0 to 16"),
        ]
        return checks.first { !$0.0 }.map { ($0.1.rawValue, $0.2) }
    }
}

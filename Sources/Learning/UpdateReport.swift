/// What one update did, for the history and the journal.
public struct UpdateReport: Codable, Sendable, Equatable {
    /// Whether the new parameters were kept.
    public var accepted: Bool
    /// Why not, when refused: "non-finite gradient", "kl 0.31 > hard limit 0.1", ...
    public var refusal: String?
    /// Mean clipped-surrogate loss (pg_loss) over the minibatches run.
    public var policyLoss: Double
    /// Final approx-KL to the behaviour policy over all steps: mean((r - 1) - log r).
    public var approxKL: Double
    /// Share of steps whose ratio was clipped (mean over the minibatches run).
    public var clipFraction: Double
    /// Mean global gradient norm before clipping.
    public var gradNorm: Double
    /// Mean per-step entropy of the action distribution (at each step's temperature).
    public var entropy: Double
    /// Mean k3 KL estimate to the reference policy (0 without a reference).
    public var klToReference: Double
    /// Epochs started.
    public var epochs: Int
    /// Steps in the update.
    public var samples: Int
    /// Whether approx-KL passed `targetKL` and the update stopped early.
    public var earlyStopped: Bool
    /// Wall time of the update.
    public var seconds: Double
    /// The learning rate this update used (nil: refused before it ran).
    public var learningRate: Double?
    /// Tries of this update refused for their KL before this one, each at the rate divided by 1.5
    /// (`kl_refusal_retries`); nil when the first try is the report.
    public var klRetries: Int?
    /// Intervened steps in the update (behaviour cloning, no PPO ratio); nil when there were none.
    public var interventionSamples: Int?
    /// Mean -log pi(executed action) over the intervened steps of the minibatches run; nil when none.
    public var interventionLoss: Double?
    /// Of the intervened steps, those from stored demonstrations (`learning.demonstration_weight`);
    /// nil when there were none.
    public var demonstrationSamples: Int?
    /// The cloning phase after the update (`BehaviourCloner`): its Adam steps, the person's steps
    /// it drew from, its last minibatch's clone_loss, and why it put the parameters back if it
    /// did; all nil when there was nothing to clone.
    public var cloneSteps: Int?
    public var cloneSamples: Int?
    public var cloneLoss: Double?
    public var cloneRefusal: String?
    /// The fresh policy's observation normaliser was fitted to this many stored demonstration
    /// steps before the cloning phase (docs/learning.md "The cloning phase"); nil otherwise.
    public var normaliserFittedFrom: Int?
    /// Steps of earlier groups reused by this update (`replay_groups`), not counted in `samples`;
    /// nil when none.
    public var replaySamples: Int?

    /// A report.
    public init(
        accepted: Bool, refusal: String? = nil, policyLoss: Double = 0, approxKL: Double = 0, clipFraction: Double = 0,
        gradNorm: Double = 0, entropy: Double = 0, klToReference: Double = 0, epochs: Int = 0, samples: Int = 0,
        earlyStopped: Bool = false, seconds: Double = 0
    ) {
        self.accepted = accepted; self.refusal = refusal; self.policyLoss = policyLoss; self.approxKL = approxKL
        self.clipFraction = clipFraction; self.gradNorm = gradNorm; self.entropy = entropy
        self.klToReference = klToReference; self.epochs = epochs; self.samples = samples
        self.earlyStopped = earlyStopped; self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case accepted, refusal, epochs, samples, entropy, seconds
        case policyLoss = "policy_loss", approxKL = "approx_kl", clipFraction = "clip_fraction"
        case gradNorm = "grad_norm", klToReference = "kl_to_reference", earlyStopped = "early_stopped"
        case learningRate = "learning_rate", klRetries = "kl_retries"
        case interventionSamples = "intervention_samples", interventionLoss = "intervention_loss"
        case demonstrationSamples = "demonstration_samples"
        case cloneSteps = "clone_steps", cloneSamples = "clone_samples", cloneLoss = "clone_loss", cloneRefusal = "clone_refusal"
        case normaliserFittedFrom = "normaliser_fitted_from"
        case replaySamples = "replay_samples"
    }
}

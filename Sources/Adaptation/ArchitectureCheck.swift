import Checkpoints
import Policy

/// Whether a checkpoint from outside the lineage (an import, a robot-config's
/// `policy.starting_checkpoint`) fits the robot-config's policy, in words that name the key.
enum ArchitectureCheck {
    /// `policy` rebuilt on `profile`'s own architecture (so the lineage's configurations stay
    /// equal; `initial_log_std` is the robot-config's), with its parameters and normaliser.
    /// - Throws: `AdaptationError(.invalid, field:)` naming the first mismatched key, e.g.
    ///   `observation_size: the file says 10, robot-config reacher2 says 11`.
    static func fitted(_ policy: Policy, to profile: RobotProfile, field: String) throws -> Policy {
        if let m = policy.config.mismatch(against: profile.policy) {
            throw AdaptationError(.invalid, field: field,
                                  "\(m.key): the file says \(m.found), robot-config \(profile.config.name) says \(m.expected)")
        }
        do { return try Policy(config: profile.policy, tensors: policy.namedTensors()) } catch {
            throw AdaptationError(.invalid, field: field, "\(error)")
        }
    }
}

extension AdaptationEngine {
    /// The robot-config's `policy.starting_checkpoint`, verified and fitted to its policy.
    /// - Throws: `AdaptationError` naming `policy.starting_checkpoint` for a file that does not
    ///   verify or whose architecture differs (naming the key).
    static func startingCheckpoint(_ path: String, for profile: RobotProfile) throws -> Policy {
        let field = "\(profile.config.path): policy.starting_checkpoint"
        let file: Policy
        do { file = try CheckpointStore.verify(file: path).policy } catch {
            throw AdaptationError(.invalid, field: field, "\(error)")
        }
        do { return try ArchitectureCheck.fitted(file, to: profile, field: field) } catch let error as AdaptationError {
            throw AdaptationError(.invalid, field: field, "\(path): \(error.message)")
        }
    }
}

/// A scripted controller: what pretraining clones (`ttad-lab pretrain --method bc`), what
/// `ttad-lab probe` runs under a dynamics shift to show what is physically reachable, and the
/// person `ttad-controller --person scripted` plays in demonstration attempts (bridge protocol 1.2).
public protocol Demonstrator: Sendable {
    /// The action for one observation laid out as the robot-config says.
    func action(_ observation: [Float]) -> [Float]
}

/// The scripted controllers, by robot.
public enum Demonstrators {
    /// The scripted controller for a robot, by the robot-config's name; nil when there is none.
    /// `gain` multiplies its proportional gain: a person who pushes harder (under a shift that
    /// weakens the motors, the default gains fall short; `ttad-lab probe` shows by how much).
    public static func make(for robot: String, gain: Float = 1) -> (any Demonstrator)? {
        switch robot {
        case "reacher2":
            var reacher = ReacherDemonstrator()
            reacher.kp *= gain
            return reacher
        case "pusher":
            var pusher = PusherDemonstrator()
            pusher.kp *= gain
            return pusher
        default: return nil
        }
    }
}

/// A scripted controller that pretraining clones (`ttad-lab pretrain --method bc`) and that
/// `ttad-lab probe` runs under a dynamics shift to show what is physically reachable.
protocol Demonstrator {
    /// The action for one observation laid out as the robot-config says.
    func action(_ observation: [Float]) -> [Float]
}

enum Demonstrators {
    /// The scripted controller for a robot, by the robot-config's name.
    static func make(for robot: String) -> (any Demonstrator)? {
        switch robot {
        case "reacher2": ReacherDemonstrator()
        case "pusher": PusherDemonstrator()
        default: nil
        }
    }
}

/// What the safety envelope reads after every step: the robot joints' positions and velocities
/// (in the order of the joint names the envelope was made with) and the end effector's position.
public struct SafetyState: Sendable, Equatable {
    public var jointPositions: [Double]
    public var jointVelocities: [Double]
    /// World position of the end effector, when the robot reports one.
    public var endEffector: SIMD3<Double>?

    public init(jointPositions: [Double], jointVelocities: [Double], endEffector: SIMD3<Double>?) {
        self.jointPositions = jointPositions
        self.jointVelocities = jointVelocities
        self.endEffector = endEffector
    }
}

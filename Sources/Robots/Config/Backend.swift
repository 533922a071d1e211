/// Which machinery runs a robot: MuJoCo in this process, or a controller over the bridge protocol.
public enum Backend: Sendable {
    case mujoco(MuJoCoSettings)
    case bridge(BridgeSettings)
}

/// How a MuJoCo robot is simulated and observed (the `backend:` section with `type: mujoco`,
/// plus `observation:`, `action.actuators`, `joints`, `reset`).
public struct MuJoCoSettings: Sendable {
    /// Absolute path of the MJCF file (the YAML gives it relative to its own folder).
    public var modelPath: String
    /// Physics steps per robot step (control period = frame_skip x timestep).
    public var frameSkip: Int
    /// Overrides the model's `<option timestep>` when set.
    public var timestep: Double?
    /// The robot's own joints, in order: reset noise, velocity limits and the safety state use these.
    public var joints: [String]
    /// Actuator names in action order.
    public var actuators: [String]
    /// The observation vector, block by block.
    public var observation: [ObservationItem]
    /// Uniform noise (+-) added to each robot joint's initial position at reset, drawn from the task seed.
    public var resetNoise: Double
    /// false (default): all N attempts of a task start from the same noisy state, so they differ
    /// only by their sampling and the group-relative advantage compares like with like. true: each
    /// attempt draws its own start (from the task seed and the attempt index).
    public var resetNoisePerAttempt: Bool

    public init(
        modelPath: String, frameSkip: Int = 1, timestep: Double? = nil, joints: [String], actuators: [String],
        observation: [ObservationItem], resetNoise: Double = 0, resetNoisePerAttempt: Bool = false
    ) {
        self.modelPath = modelPath
        self.frameSkip = frameSkip
        self.timestep = timestep
        self.joints = joints
        self.actuators = actuators
        self.observation = observation
        self.resetNoise = resetNoise
        self.resetNoisePerAttempt = resetNoisePerAttempt
    }
}

/// Where a bridged robot's controller listens and how long each kind of reply may take.
public struct BridgeSettings: Sendable {
    /// The controller's ZeroMQ endpoint, e.g. `ipc:///run/ttad/arm.sock` or `tcp://10.0.0.5:5600`.
    public var endpoint: String
    /// Deadline for the `hello` reply (connect + capabilities).
    public var helloDeadline: Duration
    /// Deadline for a `reset` reply; long, because a person may be setting the scene.
    public var resetDeadline: Duration
    /// Deadline for a `stop` acknowledgement.
    public var stopDeadline: Duration
    /// How often the controller sends heartbeats while it works on a long request (and ZMTP pings run).
    public var heartbeatInterval: Duration
    /// Silence longer than this during a long request means the controller is gone.
    public var heartbeatTimeout: Duration

    public init(
        endpoint: String, helloDeadline: Duration = .seconds(2), resetDeadline: Duration = .seconds(30),
        stopDeadline: Duration = .milliseconds(500), heartbeatInterval: Duration = .milliseconds(500),
        heartbeatTimeout: Duration = .seconds(2)
    ) {
        self.endpoint = endpoint
        self.helloDeadline = helloDeadline
        self.resetDeadline = resetDeadline
        self.stopDeadline = stopDeadline
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
    }
}

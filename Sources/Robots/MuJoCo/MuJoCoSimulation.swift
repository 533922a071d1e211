import Glibc
import MuJoCo

/// One simulated rollout of a MuJoCo robot, without the safety envelope: the raw robot.
///
/// `MuJoCoAttempt` wraps it with the envelope; the reference controller (`ttad-controller`) serves
/// it over the bridge, where the client's envelope does the same job.
public final class MuJoCoSimulation {
    /// The rollout's state (its model may be a dynamics-shifted copy shared with other attempts).
    public let data: MJData
    private let layout: MuJoCoLayout
    private let resetNoise: Double
    private let resetNoisePerAttempt: Bool
    private var task: ResolvedTask?
    private var observationBuffer: [Float]

    /// Gives the data back for reuse when the simulation ends (mj_makeData is costly next to a step).
    private let recycle: (@Sendable (MJData) -> Void)?

    init(data: MJData, layout: MuJoCoLayout, resetNoise: Double, resetNoisePerAttempt: Bool = false, recycle: (@Sendable (MJData) -> Void)? = nil) {
        self.data = data
        self.layout = layout
        self.resetNoise = resetNoise
        self.resetNoisePerAttempt = resetNoisePerAttempt
        self.recycle = recycle
        observationBuffer = Array(repeating: 0, count: layout.observation.count)
    }

    deinit { recycle?(data) }

    /// The robot joints' names, the order of `safetyState`'s arrays.
    public var jointNames: [String] { layout.joints.map(\.name) }

    /// Back to the initial state for `task`: joint noise drawn from the task seed (and `index` when
    /// the config draws a start per attempt), task parameters written into the scene.
    public func reset(task: ResolvedTask, index: Int) throws {
        guard let bindings = layout.bindings[task.name] else { throw RobotError.invalidTask("unknown task family \"\(task.name)\"") }
        self.task = task
        data.resetState()
        if resetNoise > 0 {
            var rng = SeededRandom(seed: task.seed, stream: resetNoisePerAttempt ? UInt64(index) &+ 1 : 1)
            for joint in layout.joints { data.qpos[joint.qpos] += rng.uniform(-resetNoise, resetNoise) }
        }
        for (param, binding) in bindings {
            guard let value = task.params[param] else { continue }
            switch binding {
            case .mocap(let slot): data.mocapPosition[slot] = value
            case .qpos(let address, let dof):
                data.qpos[address] = value
                data.qvel[dof] = 0
            }
        }
        data.forward()
    }

    /// Writes an action (already made safe) into the actuator controls.
    public func apply(_ action: [Float]) {
        for (i, actuator) in layout.actuators.enumerated() { data.ctrl[actuator] = Double(action[i]) }
    }

    /// Zero controls: what `stop` means for a simulated robot.
    public func zeroControls() {
        for i in 0..<data.model.nu { data.ctrl[i] = 0 }
    }

    /// One robot step: `frame_skip` physics steps.
    public func advance() { data.step(layout.frameSkip) }

    /// Whether the simulation diverged (NaN/Inf, or MuJoCo's bad-acceleration warnings).
    public var isUnstable: Bool { data.isUnstable }

    /// The observation vector, laid out as the robot-config says.
    public func observation() -> [Float] {
        for (i, op) in layout.observation.enumerated() {
            let value: Double
            switch op {
            case .qpos(let a): value = data.qpos[a]
            case .cos(let a): value = cos(data.qpos[a])
            case .sin(let a): value = sin(data.qpos[a])
            case .qvel(let d): value = data.qvel[d]
            case .position(let p, let axis): value = position(p)[axis]
            case .vector(let from, let to, let axis): value = position(to)[axis] - position(from)[axis]
            }
            observationBuffer[i] = Float(value)
        }
        return observationBuffer
    }

    /// Joint positions and velocities of the robot joints, and the end effector (if the workspace names one).
    public var safetyState: SafetyState {
        var state = SafetyState(jointPositions: [], jointVelocities: [], endEffector: nil)
        updateSafetyState(&state)
        return state
    }

    /// Writes the safety state into `state`, reusing its storage (no allocation per step).
    public func updateSafetyState(_ state: inout SafetyState) {
        let n = layout.joints.count
        if state.jointPositions.count != n { state.jointPositions = Array(repeating: 0, count: n) }
        if state.jointVelocities.count != n { state.jointVelocities = Array(repeating: 0, count: n) }
        for (i, joint) in layout.joints.enumerated() {
            state.jointPositions[i] = data.qpos[joint.qpos]
            state.jointVelocities[i] = data.qvel[joint.dof]
        }
        state.endEffector = layout.endEffector.map(position)
    }

    /// The current task's success distance and its tolerance (nil: no distance condition).
    public var successDistance: (distance: Double, tolerance: Double)? {
        guard let task, let (a, b, tolerance) = layout.success[task.name] else { return nil }
        let d = position(a) - position(b)
        return ((d * d).sum().squareRoot(), tolerance)
    }

    /// Whether the current task's success condition holds.
    public var isSuccess: Bool { successDistance.map { $0.distance < $0.tolerance } ?? false }

    private func position(_ point: MuJoCoLayout.Point) -> SIMD3<Double> {
        switch point {
        case .site(let id): data.sitePosition(id)
        case .body(let id): data.bodyPosition(id)
        }
    }
}


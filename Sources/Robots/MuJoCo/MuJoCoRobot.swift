import Foundation
import MuJoCo

/// A robot simulated by MuJoCo in this process.
///
/// One compiled model is shared by all attempts of a task (dynamics shifts are applied to a copy,
/// cached per set of factors); each attempt owns its `MJData`, so N attempts run side by side.
public final class MuJoCoRobot: Robot, @unchecked Sendable {
    public let config: RobotConfig
    public var supportsParallelAttempts: Bool { true }
    /// The model as loaded (dynamics factors 1).
    public let baseModel: MJModel
    let settings: MuJoCoSettings
    let layout: MuJoCoLayout
    /// The e-stop latch every attempt checks on each step.
    public let emergencyStopLatch = EmergencyStopLatch()
    // Guards `shifted`: makeAttempt may be called from several threads.
    private let lock = NSLock()
    private var shifted: [[String: Double]: MJModel] = [:]

    /// Loads the model and resolves every name the config uses; fails naming what does not match.
    public init(config: RobotConfig) throws {
        guard case .mujoco(let settings) = config.backend else {
            throw RobotError.modelMismatch("\(config.path) is not a MuJoCo robot-config")
        }
        let model: MJModel
        do { model = try MJModel(path: settings.modelPath) } catch {
            throw RobotError.simulation("cannot load \(settings.modelPath) for \(config.path): \(error)")
        }
        if let timestep = settings.timestep { model.timestep = timestep }
        self.config = config
        self.settings = settings
        self.baseModel = model
        layout = try MuJoCoLayout(config: config, settings: settings, model: model)
        // Check the envelope binds to this model's joints now, not at the first attempt.
        _ = try SafetyEnvelope(config: config.safety, joints: settings.joints, actionLow: config.actionLow, actionHigh: config.actionHigh)
    }

    /// Seconds per robot step (frame_skip x timestep).
    public var controlPeriod: Double { baseModel.timestep * Double(settings.frameSkip) }

    public func makeAttempt(task: TaskRequest, index: Int) throws -> any RobotAttempt {
        let resolved = try config.resolve(task)
        return try MuJoCoAttempt(robot: self, simulation: try makeSimulation(resolved), task: resolved, index: index)
    }

    /// A raw simulation (no envelope) of a resolved task, on the model shifted by its dynamics factors.
    public func makeSimulation(_ task: ResolvedTask) throws -> MuJoCoSimulation {
        try MuJoCoSimulation(model: model(for: task.dynamics), layout: layout, resetNoise: settings.resetNoise)
    }

    /// The compiled model for a set of dynamics factors: the base model when all are 1, else a scaled copy (cached).
    public func model(for dynamics: [String: Double]) -> MJModel {
        let factors = dynamics.filter { $0.value != 1 }
        if factors.isEmpty { return baseModel }
        lock.lock()
        defer { lock.unlock() }
        if let model = shifted[factors] { return model }
        let model = baseModel.copy()
        Self.apply(factors, to: model)
        // A handful of task shifts are live at a time; drop old ones rather than grow without bound.
        // (Attempts keep their own model alive through their MJData.)
        if shifted.count >= 16 { shifted.removeAll() }
        shifted[factors] = model
        return model
    }

    /// Scales a model's dynamics in place: joint damping, actuator gear, body mass and inertia, geom friction.
    public static func apply(_ factors: [String: Double], to model: MJModel) {
        if let s = factors["damping_scale"] { scale(model.dofDamping, by: s) }
        if let s = factors["gear_scale"] { scale(model.actuatorGear, by: s) }
        if let s = factors["mass_scale"] {
            scale(model.bodyMass, by: s)
            scale(model.bodyInertia, by: s)
        }
        if let s = factors["friction_scale"] { scale(model.geomFriction, by: s) }
    }

    private static func scale(_ buffer: UnsafeMutableBufferPointer<Double>, by factor: Double) {
        for i in buffer.indices { buffer[i] *= factor }
    }

    public func emergencyStop() { emergencyStopLatch.press() }
    public func clearEmergencyStop() { emergencyStopLatch.clear() }
    /// Whether the e-stop is latched.
    public var isEmergencyStopped: Bool { emergencyStopLatch.isPressed }
}

extension MuJoCoRobot {
    /// The robot joints (the order of the safety state's arrays).
    public var jointNames: [String] { settings.joints }
}

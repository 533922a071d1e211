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
    /// Spare MJData per model, from ended attempts (guarded by `lock`).
    private var spareData: [ObjectIdentifier: [MJData]] = [:]

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
        // Nobody drives a simulation in-process: demonstrations come over a bridge, or from a file.
        if task.demonstration { throw RobotError.invalidTask(Self.noPerson(config.name)) }
        let resolved = try config.resolve(task)
        return try MuJoCoAttempt(robot: self, simulation: try makeSimulation(resolved), task: resolved, index: index)
    }

    /// Why robot `name` (in-process MuJoCo) cannot record a demonstration.
    public static func noPerson(_ name: String) -> String {
        "robot \(name) is simulated in-process (MuJoCo): there is no person to demonstrate; use a bridge controller, or add demonstrations from a file (the `add_demonstrations` operation)"
    }

    /// A raw simulation (no envelope) of a resolved task, on the model shifted by its dynamics factors.
    public func makeSimulation(_ task: ResolvedTask) throws -> MuJoCoSimulation {
        let model = model(for: task.dynamics)
        let key = ObjectIdentifier(model)
        lock.lock()
        let spare = spareData[key]?.popLast()
        lock.unlock()
        let data = try spare ?? MJData(model: model)
        // Every attempt resets its data before use, so a recycled one carries nothing over.
        return MuJoCoSimulation(data: data, layout: layout, resetNoise: settings.resetNoise,
                                 resetNoisePerAttempt: settings.resetNoisePerAttempt) { [weak self] data in
            self?.giveBack(data)
        }
    }

    private func giveBack(_ data: MJData) {
        lock.lock()
        defer { lock.unlock() }
        let key = ObjectIdentifier(data.model)
        // Keep a few per model, and only for models still in use (base or cached), so memory stays bounded.
        guard data.model === baseModel || shifted.values.contains(where: { $0 === data.model }) else { return }
        if spareData[key, default: []].count < 64 { spareData[key, default: []].append(data) }
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
        if shifted.count >= 16 {
            for model in shifted.values { spareData[ObjectIdentifier(model)] = nil }
            shifted.removeAll()
        }
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

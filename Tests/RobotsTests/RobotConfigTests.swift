import Foundation
import Testing
@testable import Robots

@Suite struct RobotConfigTests {
    @Test func theShippedConfigsLoad() throws {
        let configs = try RobotConfig.loadDirectory(TestSupport.configsDir)
        #expect(Set(configs.keys).isSuperset(of: ["reacher2", "pusher", "bridge-example"]))
        let reacher = try #require(configs["reacher2"])
        #expect(reacher.name == "reacher2")
        #expect(reacher.observationSize == 10)
        #expect(reacher.actionSize == 2)
        #expect(reacher.actionLow == [-1, -1] && reacher.actionHigh == [1, 1])
        #expect(reacher.maxSteps == 50)
        #expect(reacher.stepDeadline == .milliseconds(100))
        #expect(reacher.tasks["reach"]?.params.keys.sorted() == ["target_x", "target_y"])
        #expect(reacher.safety.jointVelocityLimit == 60)
        #expect(abs((reacher.controlPeriod ?? 0) - 0.02) < 1e-12 || reacher.controlPeriod == nil)
        guard case .mujoco(let settings) = reacher.backend else { Issue.record("reacher2 is a MuJoCo robot"); return }
        #expect(settings.modelPath.hasSuffix("robot-configs/models/reacher2.xml"))
        #expect(settings.frameSkip == 2)
    }

    @Test func theBridgeExampleDescribesTheControllerAndItsDeadlines() throws {
        let config = try TestSupport.load("bridge-example")
        guard case .bridge(let settings) = config.backend else { Issue.record("bridge-example is a bridge robot"); return }
        #expect(settings.endpoint == "ipc:///run/ttad-bridge/reacher2.sock")
        #expect(settings.resetDeadline == .seconds(30) && settings.stopDeadline == .milliseconds(500))
        #expect(config.observationSize == 10 && config.actionSize == 2 && config.stepDeadline == .milliseconds(100))
        #expect(config.tasks["reach"]?.success == nil, "the controller decides success")
        #expect(try makeRobot(config) is BridgeRobot)
    }

    @Test func theResetDeadlineIsTheBridgesOwnAndOneSecondForASimulation() throws {
        #expect(try TestSupport.load("bridge-example").resetDeadline == .seconds(30))
        #expect(try TestSupport.load("reacher2").resetDeadline == .seconds(1))
        let yaml = try String(contentsOfFile: TestSupport.configPath("bridge-example"), encoding: .utf8)
            .replacingOccurrences(of: "reset_deadline_ms: 30000", with: "reset_deadline_ms: 1234")
        #expect(try RobotConfig.load(path: TestSupport.writeTemp(yaml, name: "bridge-example")).resetDeadline == .milliseconds(1234))
    }

    @Test func aBridgeConfigMayNotDescribeTheControllersInternals() throws {
        let text = try String(contentsOfFile: TestSupport.configPath("bridge-example"), encoding: .utf8) + "joints: [shoulder]\n"
        let path = try TestSupport.writeTemp(text)
        #expect { try RobotConfig.load(path: path) } throws: {
            ($0 as? RobotConfigError)?.keyPath == "joints" && "\($0)".contains("not used with a bridge backend")
        }
    }

    @Test func otherModulesSectionsAreKeptAsRawYAML() throws {
        let reacher = try TestSupport.load("reacher2")
        let policy = try #require(reacher.policySection)
        #expect(policy.contains("hidden_sizes") && policy.contains("gaussian") && !policy.contains("bins"))
        #expect(reacher.learningSection?.contains("clip_high: 0.28") == true)
        #expect(reacher.adaptationSection?.contains("reward: efficiency") == true)
    }

    enum PolicyKey: String, CaseIterable { case hiddenSizes = "hidden_sizes", activation, head }
    enum FewerKeys: String, CaseIterable { case activation }

    /// Another module reads its section with the same walker: the key path starts at the section.
    @Test func aSectionKeptAsTextIsReadWithItsKeyPathAndRefusesUnknownKeys() throws {
        let reacher = try TestSupport.load("reacher2")
        let node = try #require(try ConfigNode(section: reacher.policySection, file: reacher.path, key: "policy"))
        #expect(try node.entries(of: PolicyKey.self).map(\.key) == [.hiddenSizes, .activation, .head])
        #expect { try node.entries(of: FewerKeys.self) } throws: {
            ($0 as? RobotConfigError)?.keyPath == "policy.hidden_sizes" && "\($0)".hasPrefix(reacher.path + ": policy.hidden_sizes: unknown key; expected one of activation")
        }
        #expect(try ConfigNode(section: nil, file: reacher.path, key: "policy") == nil)
        #expect(throws: RobotConfigError.self) { try ConfigNode(section: "- 1\n- 2\n", file: reacher.path, key: "policy") }
    }

    /// The error names the file, the key path and what was expected.
    static let badFiles: [(String, String, String)] = [
        ("safety:\n  joint_velocity_limit: fast\n", "safety.joint_velocity_limit", "expected a positive number"),
        ("safety:\n  joint_velocity_limt: 3\n", "safety.joint_velocity_limt", "unknown key"),
        ("max_steps: -4\n", "max_steps", "expected an integer >= 1"),
        ("policy: [1, 2]\n", "policy", "expected a mapping"),
        ("tasks:\n  reach:\n    params:\n      target_x: {low: 1, high: 0, sets: {mocap: target, axis: x}}\n    success: {type: distance, between: [site:fingertip, site:target], below: 0.02}\n",
         "tasks.reach.params.target_x", "expected low <= high"),
        ("observation:\n  - {type: joint_cos, joints: [shoulder]}\n  - {type: colour}\n", "observation[1].type", "expected one of"),
        ("dynamics:\n  wind_scale: {low: 0.5, high: 2}\n", "dynamics.wind_scale", "unknown dynamics factor"),
    ]

    @Test(arguments: 0..<badFiles.count)
    func aWrongFileNamesTheFileTheKeyAndWhatWasExpected(case index: Int) throws {
        let (override, keyPath, expected) = Self.badFiles[index]
        let path = try TestSupport.writeTemp(Self.replacing(try String(contentsOfFile: TestSupport.configPath("reacher2"), encoding: .utf8), with: override))
        do {
            _ = try RobotConfig.load(path: path)
            Issue.record("expected \(keyPath) to be rejected")
        } catch let error as RobotConfigError {
            #expect(error.file == path)
            #expect(error.keyPath == keyPath, "\(error)")
            #expect(error.message.contains(expected), "\(error)")
            #expect(error.description.hasPrefix(path + ": " + keyPath))
        }
    }

    @Test func aMissingRequiredKeyIsNamed() throws {
        let text = try String(contentsOfFile: TestSupport.configPath("reacher2"), encoding: .utf8)
            .replacingOccurrences(of: "max_steps: 50\n", with: "")
        let path = try TestSupport.writeTemp(text)
        #expect(throws: RobotConfigError(file: path, keyPath: "max_steps", message: "missing; this key is required")) {
            try RobotConfig.load(path: path)
        }
    }

    @Test func notYAMLAtAllIsReportedWithTheFile() throws {
        let path = try TestSupport.writeTemp("backend: [unclosed\n")
        #expect { try RobotConfig.load(path: path) } throws: { ($0 as? RobotConfigError)?.file == path }
    }

    // MARK: Tasks

    /// A bridge config may declare factors its controller defines; MuJoCo keeps the built-in names.
    @Test func aBridgeConfigDeclaresItsControllersOwnDynamicsFactors() throws {
        let text = try String(contentsOfFile: TestSupport.configPath("bridge-example"), encoding: .utf8)
        func load(_ declaration: String) throws -> RobotConfig {
            let yaml = text.replacingOccurrences(of: "\ndynamics:", with: "\ndynamics:\n  \(declaration)")
            return try RobotConfig.load(path: try TestSupport.writeTemp(yaml, name: "bridge-example"))
        }
        let config = try load("payload_kg: {low: 0, high: 2.5, default: 0.5}")
        #expect(config.dynamics["payload_kg"] == ParamSpec(low: 0, high: 2.5, defaultValue: 0.5))
        #expect(config.dynamics["damping_scale"]?.defaultValue == 1, "the built-in names keep their default 1")
        #expect(try config.resolve(TaskRequest(name: "reach", seed: 1)).dynamics["payload_kg"] == 0.5)
        #expect { try load("payload_kg: {low: 0, high: 2.5}") } throws: {
            ($0 as? RobotConfigError)?.keyPath == "dynamics.payload_kg.default" && "\($0)".contains("needs a default")
        }
        #expect { try load("Payload-kg: {low: 0, high: 2.5, default: 1}") } throws: {
            ($0 as? RobotConfigError)?.keyPath == "dynamics.Payload-kg" && "\($0)".contains("expected a factor name")
        }
        #expect { try load("payload_kg: {min: 0, max: 2.5, default: 1}") } throws: {
            ($0 as? RobotConfigError)?.keyPath == "dynamics.payload_kg.min" && "\($0)".contains("unknown key")
        }
    }

    @Test func validationNamesWhatIsWrong() throws {
        let reacher = try TestSupport.load("reacher2")
        func message(_ task: TaskRequest) -> String {
            do { try reacher.validate(task); return "accepted" } catch { return "\(error)" }
        }
        #expect(message(TaskRequest(name: "reach", params: ["target_x": 0.1, "target_y": 0.05], seed: 1)) == "accepted")
        #expect(message(TaskRequest(name: "juggle", seed: 1)).contains("unknown task family \"juggle\""))
        #expect(message(TaskRequest(name: "reach", params: ["target_z": 0], seed: 1)).contains("unknown parameter \"target_z\""))
        #expect(message(TaskRequest(name: "reach", params: ["target_x": 0.5], seed: 1)).contains("target_x = 0.5 is outside"))
        #expect(message(TaskRequest(name: "reach", dynamics: ["wind": 2], seed: 1)).contains("unknown dynamics factor \"wind\""))
        #expect(message(TaskRequest(name: "reach", dynamics: ["gear_scale": 100], seed: 1)).contains("gear_scale = 100.0 is outside"))
        #expect(message(TaskRequest(name: "reach", params: ["target_x": 0.2, "target_y": 0.2], seed: 1)).contains("out of reach"))
    }

    @Test func missingParametersAreDrawnWithinReachAndRepeatably() throws {
        let reacher = try TestSupport.load("reacher2")
        var seen = Set<Double>()
        for seed in UInt64(0)..<200 {
            let task = try reacher.resolve(TaskRequest(name: "reach", seed: seed))
            let x = try #require(task.params["target_x"]), y = try #require(task.params["target_y"])
            let r = (x * x + y * y).squareRoot()
            #expect(r >= 0.05 && r <= 0.2)
            #expect(try reacher.resolve(TaskRequest(name: "reach", seed: seed)) == task, "same seed, same task")
            #expect(task.dynamics["damping_scale"] == 1)
            seen.insert(x)
        }
        #expect(seen.count > 150, "different seeds give different targets")
        let given = try reacher.resolve(TaskRequest(name: "reach", params: ["target_x": 0.1], dynamics: ["gear_scale": 0.5], seed: 3))
        #expect(given.params["target_x"] == 0.1)
        #expect(given.dynamics["gear_scale"] == 0.5)
    }
}

extension RobotConfigTests {
    /// Replaces (or adds) the top-level keys in `override` in the YAML `text`.
    static func replacing(_ text: String, with override: String) -> String {
        let overrideKeys = Set(override.split(separator: "\n").filter { !$0.hasPrefix(" ") && $0.contains(":") }.map { String($0.split(separator: ":")[0]) })
        var out: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#", first != "-" {
                skipping = overrideKeys.contains(String(line.split(separator: ":")[0]))
            }
            if !skipping { out.append(line) }
        }
        return out.joined(separator: "\n") + "\n" + override
    }
}

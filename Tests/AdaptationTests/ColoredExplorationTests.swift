import Learning
import Policy
import Robots
import Testing
@testable import Adaptation

/// `exploration_noise_exponent` through the attempt runner, on the real reacher2 in MuJoCo: the
/// noise an attempt's actions carry is correlated from step to step when asked, and not otherwise.
@Suite struct ColoredExplorationTests {
    /// Lag-1 correlation of the noise in the actions (sample minus the policy's mean on the same
    /// observation), pooled over attempts, steps and dimensions, each series over its mean square.
    static func actionNoiseCorrelation(exponent: Double) throws -> (correlation: Double, results: [AttemptRunner.Result]) {
        let robot = try MuJoCoRobot(config: try RobotConfig.load(path: AttemptSafetyTests.reacher2))
        let profile = try RobotProfile(config: robot.config)
        #expect(profile.policy.head == .gaussian)
        let policy = Policy(config: profile.policy, seed: 3)
        var runner = AttemptRunner(robot: robot, policy: policy, reward: EfficiencyReward(), checkpoint: nil)
        runner.noiseExponent = exponent
        var rng = PolicyRNG(seed: 9)
        let temperatures = Array(repeating: 0.8, count: 8)
        let results = try runner.run(AttemptSafetyTests.plan(attempts: 8), temperatures: temperatures,
                                     observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation(), rng: &rng)
        let dims = profile.policy.actionSize, obsSize = profile.policy.observationSize
        var series: [[Double]] = []
        for result in results {
            let t = result.trajectory
            let steps = t.samples.count
            var greedy = PolicyRNG(seed: 0)
            let means = policy.sample(observations: t.observations, temperatures: Array(repeating: 0, count: steps), rng: &greedy)
            #expect(t.observations.count == steps * obsSize)
            for d in 0..<dims { series.append((0..<steps).map { Double(t.samples[$0].raw[d] - means[$0].raw[d]) }) }
        }
        var product = 0.0, square = 0.0
        for x in series {
            let scale = x.map { $0 * $0 }.reduce(0, +) / Double(x.count)
            for i in 0..<(x.count - 1) { product += x[i] * x[i + 1] / scale }
            square += Double(x.count - 1)
        }
        return (product / square, results)
    }

    @Test func pinkNoiseCorrelatesEachAttemptsStepsAndWhiteNoiseDoesNot() throws {
        let (white, whiteResults) = try Self.actionNoiseCorrelation(exponent: 0)
        let (pink, pinkResults) = try Self.actionNoiseCorrelation(exponent: 1)
        #expect(abs(white) < 0.15, "white: lag-1 correlation \(white)")
        #expect(pink > 0.4, "pink: lag-1 correlation \(pink) (about 0.6 for 50 steps)")
        #expect(whiteResults.allSatisfy { $0.trajectory.samples.count >= 10 } && pinkResults.allSatisfy { $0.trajectory.samples.count >= 10 },
                "long enough attempts to measure")
        // Every action still within the robot-config's limits.
        let config = try RobotConfig.load(path: AttemptSafetyTests.reacher2)
        for s in pinkResults.flatMap(\.trajectory.samples) {
            for d in 0..<s.action.count { #expect(s.action[d] >= config.actionLow[d] && s.action[d] <= config.actionHigh[d]) }
        }
    }
}

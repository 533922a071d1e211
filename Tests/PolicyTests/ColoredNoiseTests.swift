import Foundation
import Testing
@testable import Policy

/// `ColoredNoise` and `Policy.sample(noise:)`: correlated in time, the same distribution per step.
@Suite struct ColoredNoiseTests {
    /// `count` sequences of `length` steps (one dimension each).
    static func sequences(exponent: Double, length: Int, count: Int) -> [[Float]] {
        var rng = PolicyRNG(seed: 11)
        return (0..<count).map { _ in
            var noise = ColoredNoise(exponent: exponent, length: length, dimensions: 1, rng: &rng)
            return (0..<length).map { _ in noise.next().first! }
        }
    }

    /// Over sequences, at lag `lag`: the mean of x_t x_{t+lag} (the correlation, as every x_t is N(0, 1)).
    static func correlation(_ xs: [[Float]], lag: Int) -> Double {
        var sum = 0.0, n = 0
        for x in xs { for t in 0..<(x.count - lag) { sum += Double(x[t] * x[t + lag]); n += 1 } }
        return sum / Double(n)
    }

    @Test(arguments: [(0.0, -0.1, 0.1), (0.5, 0.2, 0.45), (1.0, 0.5, 0.75), (2.0, 0.85, 1.0)])
    func everyStepIsStandardNormalAndNeighboursCorrelateMoreAsTheExponentGrows(_ c: (exponent: Double, low: Double, high: Double)) {
        let xs = Self.sequences(exponent: c.exponent, length: 50, count: 3000)
        for t in [0, 1, 24, 49] {
            let column = xs.map { Double($0[t]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count - 1)
            #expect(abs(mean) < 0.1, "step \(t): mean \(mean)")
            #expect(abs(variance - 1) < 0.1, "step \(t): variance \(variance), the policy's own distribution needs 1")
        }
        let r = Self.correlation(xs, lag: 1)
        #expect(r > c.low && r < c.high, "exponent \(c.exponent): lag-1 correlation \(r), expected \(c.low)..\(c.high)")
    }

    @Test func theSameGeneratorStateGivesTheSameNoiseAndItStartsOverPastItsLength() {
        var a = PolicyRNG(seed: 4), b = PolicyRNG(seed: 4)
        var x = ColoredNoise(exponent: 1, length: 7, dimensions: 3, rng: &a)
        var y = ColoredNoise(exponent: 1, length: 7, dimensions: 3, rng: &b)
        let first = (0..<7).map { _ in Array(x.next()) }
        #expect(first == (0..<7).map { _ in Array(y.next()) })
        #expect(first.allSatisfy { $0.count == 3 } && Set(first.flatMap { $0 }).count == 21, "three sequences, none repeated")
        #expect(Array(x.next()) == first[0], "step 8 of a 7-step sequence starts it over")
        #expect(a.next() == b.next(), "both generators were advanced alike")
    }

    @Test func aGaussianHeadScalesTheGivenNoiseByItsStdAndTemperature() {
        let p = Policy(config: smallConfig(.gaussian), seed: 5)
        let obs = randomObservations(1, size: 3, seed: 6)
        var rng = PolicyRNG(seed: 1)
        let mean = p.sample(observations: obs, temperatures: [0], rng: &rng)[0].raw
        let noise: [Float] = [0.5, -1.2], t: Float = 0.8
        let before = rng
        let s = p.sample(observations: obs, temperatures: [t], noise: noise, rng: &rng)[0]
        let std = expf(-0.3) * t   // initialLogStd -0.3, scaled by T
        for d in 0..<2 { #expect(abs(s.raw[d] - (mean[d] + std * noise[d])) < 1e-5) }
        let logProb = noise.map { -0.5 * $0 * $0 - logf(std) - 0.5 * logf(2 * .pi) }.reduce(0, +)
        #expect(abs(s.logProb - logProb) < 1e-4)
        #expect(rng.next() == { var r = before; return r.next() }(), "given noise draws nothing from the generator")
    }

    @Test(arguments: [Float(-2), -0.4, 0, 0.3, 2.5])
    func aBinnedHeadTakesTheBinAtTheNoisesQuantile(_ x: Float) {
        let p = Policy(config: smallConfig(.binned, bins: 5), seed: 7)
        let obs = randomObservations(1, size: 3, seed: 8)
        let t: Float = 1.3
        var rng = PolicyRNG(seed: 2)
        let s = p.sample(observations: obs, temperatures: [t], noise: [x, -x], rng: &rng)[0]
        let probs = p.binProbabilities(observation: obs, temperature: t)
        for (d, z) in [x, -x].enumerated() {
            let u = Float(0.5 * erfc(-Double(z) / 2.0.squareRoot()))
            var acc: Float = 0, bin = 4
            for j in 0..<5 { acc += probs[d * 5 + j]; if u < acc { bin = j; break } }
            #expect(s.raw[d] == Float(bin), "dimension \(d), noise \(z): quantile \(u)")
            #expect(abs(s.logProb - (logf(probs[Int(s.raw[0])]) + logf(probs[5 + Int(s.raw[1])]))) < 1e-4)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Acting: N observations at N temperatures, in one batched forward pass.
extension Policy {
    /// Samples one action for each of `temperatures.count` observations (row-major,
    /// `count * observationSize`), row i at temperature `temperatures[i]`.
    ///
    /// Binned head: logits / T, softmax, sample a bin per dimension, action = the bin's centre
    /// (centres span [low, high], so the first and last bins are the bounds). Gaussian head: mean +
    /// exp(log_std) * T * N(0, 1), clamped to [low, high] for the action, unclamped in `raw`.
    /// T == 0 is greedy: the argmax bin or the mean, with `logProb` 0.
    /// One gemm per layer for a batch, the gemv path for one row; the same `rng` state gives the
    /// same actions.
    ///
    /// `noise` (optional, `count * actionSize` standard normal deviates, e.g. `ColoredNoise`)
    /// replaces the draws from `rng`: the gaussian head's N(0, 1), and the binned head's uniform
    /// as Phi(noise), the standard normal CDF. Either way the per-step distribution is the same.
    public func sample(observations: [Float], temperatures: [Float], noise: [Float]? = nil,
                       rng: inout PolicyRNG) -> [ActionSample] {
        let n = temperatures.count
        precondition(observations.count == n * config.observationSize,
                     "sample: \(observations.count) observation values for \(n) rows of \(config.observationSize)")
        precondition(noise == nil || noise!.count == n * config.actionSize,
                     "sample: \(noise?.count ?? 0) noise values for \(n) rows of \(config.actionSize)")
        precondition(temperatures.allSatisfy { $0 >= 0 && $0.isFinite }, "sample: temperatures must be finite and >= 0")
        guard n > 0 else { return [] }
        return withSamplingWorkspace(rows: n) { ws in
            observations.withUnsafeBufferPointer { forward($0.baseAddress!, count: n, workspace: ws) }
            var out: [ActionSample] = []
            out.reserveCapacity(n)
            for i in 0..<n {
                out.append(config.head == .binned
                    ? sampleBinned(row: i, temperature: temperatures[i], noise: noise, workspace: ws, rng: &rng)
                    : sampleGaussian(row: i, temperature: temperatures[i], noise: noise, workspace: ws, rng: &rng))
            }
            return out
        }
    }

    /// One observation at one temperature (the batch-1 gemv path).
    public func sample(observation: [Float], temperature: Float, rng: inout PolicyRNG) -> ActionSample {
        sample(observations: observation, temperatures: [temperature], rng: &rng)[0]
    }

    private func sampleBinned(row i: Int, temperature t: Float, noise: [Float]?, workspace ws: PolicyWorkspace,
                              rng: inout PolicyRNG) -> ActionSample {
        let dims = config.actionSize, k = config.bins
        var action = [Float](repeating: 0, count: dims)
        var raw = [Float](repeating: 0, count: dims)
        var logProb: Float = 0
        for d in 0..<dims {
            let z = ws.head + (i * dims + d) * k
            var bin = 0
            for j in 1..<k where z[j] > z[bin] { bin = j }
            if t > 0 {
                // Inverse-CDF sampling of softmax(z / T), exponentials relative to the max, vectorised.
                let invT = 1 / t
                let m = z[bin]
                let e = ws.probs + (i * dims + d) * k
                VectorMath.shiftedExp(z, shift: m, scale: invT, into: e, count: k)
                let sum = VectorMath.sum(e, count: k)
                let u = (noise.map { Self.normalCDF($0[i * dims + d]) } ?? rng.nextUnitFloat()) * sum
                var acc: Float = 0
                bin = k - 1   // float round-off can leave u just above the final sum: take the last bin
                for j in 0..<k {
                    acc += e[j]
                    if u < acc { bin = j; break }
                }
                logProb += (z[bin] - m) * invT - logf(sum)
            }
            raw[d] = Float(bin)
            let low = config.actionLow[d], high = config.actionHigh[d]
            action[d] = min(max(low + (high - low) * Float(bin) / Float(k - 1), low), high)
        }
        return ActionSample(action: action, raw: raw, logProb: logProb)
    }

    private func sampleGaussian(row i: Int, temperature t: Float, noise: [Float]?, workspace ws: PolicyWorkspace,
                                rng: inout PolicyRNG) -> ActionSample {
        let dims = config.actionSize
        var action = [Float](repeating: 0, count: dims)
        var raw = [Float](repeating: 0, count: dims)
        var logProb: Float = 0
        let halfLog2Pi = Float(0.5 * log(2 * Double.pi))
        for d in 0..<dims {
            let mean = ws.head[i * dims + d]
            var x = mean
            if t > 0 {
                let logStd = parameters[logStdOffset + d] + logf(t)
                let eps = noise?[i * dims + d] ?? rng.nextGaussian()
                x = mean + expf(logStd) * eps
                logProb += -0.5 * eps * eps - logStd - halfLog2Pi
            }
            raw[d] = x
            action[d] = min(max(x, config.actionLow[d]), config.actionHigh[d])
        }
        return ActionSample(action: action, raw: raw, logProb: logProb)
    }

    /// Phi(x), the standard normal CDF, in [0, 1): a deviate's quantile, for inverse-CDF sampling.
    static func normalCDF(_ x: Float) -> Float {
        min(Float(0.5 * erfc(-Double(x) / 2.0.squareRoot())), 1 - Float.ulpOfOne / 2)
    }

    /// The bin centres of action dimension `dimension` (binned head), low to high.
    public func binCentres(dimension d: Int) -> [Float] {
        let low = config.actionLow[d], high = config.actionHigh[d], k = config.bins
        return (0..<k).map { low + (high - low) * Float($0) / Float(k - 1) }
    }

    /// The action distribution's probabilities for one observation at temperature T > 0
    /// (binned head): `actionSize * bins` values, one softmax per dimension. For tests and tools.
    public func binProbabilities(observation: [Float], temperature: Float) -> [Float] {
        precondition(config.head == .binned && temperature > 0)
        return withSamplingWorkspace(rows: 1) { ws in
            observation.withUnsafeBufferPointer { forward($0.baseAddress!, count: 1, workspace: ws) }
            var p = Array(UnsafeBufferPointer(start: ws.head, count: config.headOutputs))
            let k = config.bins
            for d in 0..<config.actionSize {
                let slice = (d * k)..<((d + 1) * k)
                let m = slice.map { p[$0] / temperature }.max()!
                var sum: Float = 0
                for j in slice { p[j] = expf(p[j] / temperature - m); sum += p[j] }
                for j in slice { p[j] /= sum }
            }
            return p
        }
    }
}

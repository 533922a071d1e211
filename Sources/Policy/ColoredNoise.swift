#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporally correlated exploration noise for one attempt: per action dimension, a sequence of
/// standard normal deviates whose power spectrum falls as 1/f^beta ("colored noise", Eberhard et
/// al. 2023, "Pink Noise Is All You Need"; for PPO, Hollenstein et al. 2024, "Colored Noise in
/// PPO"). beta = 0 is white noise (every step independent, what `Policy.sample` draws by itself),
/// 1 pink, 2 red (a random walk's spectrum).
///
/// Why: over an attempt of 100 steps, independent per-step noise averages out, so a group's
/// attempts follow nearly the same trajectory and differ little in speed (docs/experiment.md,
/// "How much faster a group's fastest success is"). Correlated noise keeps a deviation for many
/// steps: one attempt leans one way, or moves faster, for a while, which varies the trajectory as
/// a whole. Every step's deviate is still N(0, 1) over attempts (the sequence is a sum of
/// gaussians scaled to unit variance), so the policy's per-step distribution, and the log pi the
/// PPO ratio uses, are unchanged.
///
/// Generated as in the `colorednoise` package (Timmer and Koenig 1995): gaussian Fourier
/// coefficients scaled by f^(-beta/2), an inverse real DFT, divided by the sequence's standard
/// deviation (exact, where `colorednoise` leaves out the constant term). The lowest frequency is
/// 1/length, the attempt's own time scale.
public struct ColoredNoise: Sendable {
    /// The longest sequence an attempt draws (`AttemptRunner`): a longer attempt repeats it, which
    /// is seamless (the inverse DFT's sequence is periodic). Drawing one costs O(length^2):
    /// about 25 ms for 7 dimensions at this length, 0.3 ms at 200 steps (`ttad-bench policy`).
    public static let longestSequence = 2048
    /// The spectrum's exponent beta.
    public let exponent: Double
    /// Steps per sequence (the attempt's `max_steps`, at most `longestSequence`); past it the
    /// sequence starts over.
    public let length: Int
    /// Action dimensions: one independent sequence each.
    public let dimensions: Int
    private var values: [Float]   // length x dimensions, step-major
    private var step = 0

    /// Draws `dimensions` sequences of `length` steps from `rng`.
    /// - Precondition: `exponent` in 0...2, `length` >= 1, `dimensions` >= 1.
    public init(exponent: Double, length: Int, dimensions: Int, rng: inout PolicyRNG) {
        precondition((0...2).contains(exponent) && length >= 1 && dimensions >= 1,
                     "ColoredNoise: exponent \(exponent) must be in [0, 2], length \(length) and dimensions \(dimensions) >= 1")
        self.exponent = exponent
        self.length = length
        self.dimensions = dimensions
        values = [Float](repeating: 0, count: length * dimensions)
        for d in 0..<dimensions {
            let sequence = Self.sequence(exponent: exponent, length: length, rng: &rng)
            for t in 0..<length { values[t * dimensions + d] = Float(sequence[t]) }
        }
    }

    /// The next step's deviates, one per dimension.
    public mutating func next() -> ArraySlice<Float> {
        let t = step % length
        step += 1
        return values[(t * dimensions)..<((t + 1) * dimensions)]
    }

    /// One sequence of `length` deviates with spectrum 1/f^exponent and unit variance.
    static func sequence(exponent: Double, length n: Int, rng: inout PolicyRNG) -> [Double] {
        guard n > 1 else { return [Double(rng.nextGaussian())] }
        let half = n / 2   // frequencies k / n for k in 0...half
        // Amplitude per frequency: f^(-beta/2), with f = 0 given the lowest frequency's amplitude.
        var scale = [Double](repeating: 0, count: half + 1)
        for k in 1...half { scale[k] = pow(Double(k) / Double(n), -exponent / 2) }
        scale[0] = scale[1]
        // The sequence's standard deviation at every step, so every step is N(0, 1) over
        // sequences: the real constant and Nyquist terms (doubled variance below) count once, the
        // others twice (a frequency and its conjugate).
        var variance = 2 * scale[0] * scale[0]
        for k in 1...half {
            variance += (k == half && n % 2 == 0) ? 2 * scale[k] * scale[k] : 4 * scale[k] * scale[k]
        }
        let sigma = variance.squareRoot() / Double(n)
        var re = [Double](repeating: 0, count: half + 1), im = re
        for k in 0...half {
            re[k] = Double(rng.nextGaussian()) * scale[k]
            im[k] = Double(rng.nextGaussian()) * scale[k]
        }
        // The constant term and (n even) the Nyquist term are real.
        im[0] = 0; re[0] *= 2.0.squareRoot()
        if n % 2 == 0 { im[half] = 0; re[half] *= 2.0.squareRoot() }
        // Inverse real DFT: x_t = (1/n) sum over all n frequencies, the upper half the conjugates.
        // O(n^2 / 2) multiply-adds with the n angles 2 pi m / n tabled (about a millisecond per
        // dimension at 1000 steps; an attempt draws its sequences once, before its reset).
        let cosine = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        let sine = (0..<n).map { sin(2 * Double.pi * Double($0) / Double(n)) }
        var out = [Double](repeating: 0, count: n)
        for t in 0..<n {
            var x = re[0]
            for k in 1...half {
                let m = k * t % n
                let term = re[k] * cosine[m] - im[k] * sine[m]
                x += (k == half && n % 2 == 0) ? term : 2 * term
            }
            out[t] = x / Double(n) / sigma
        }
        return out
    }
}

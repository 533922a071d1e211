/// Orthogonal initialisation (Saxe et al. 2014), as CleanRL's `layer_init`: a random Gaussian
/// matrix orthonormalised, times a gain. Hidden layers use gain sqrt(2), the action head 0.01
/// so the first policy is close to uniform over bins (or to a zero mean).
enum OrthogonalInit {
    /// Fills `out x inp` row-major weights with gain * (a matrix with orthonormal rows if out <= inp,
    /// else orthonormal columns), by modified Gram-Schmidt in Double.
    static func fill(_ w: UnsafeMutablePointer<Float>, rows out: Int, cols inp: Int, gain: Double, rng: inout PolicyRNG) {
        // Orthonormalise the shorter side: `count` vectors of length `length`.
        let byRows = out <= inp
        let count = byRows ? out : inp
        let length = byRows ? inp : out
        var v = [Double](repeating: 0, count: count * length)
        for i in 0..<v.count { v[i] = Double(rng.nextGaussian()) }
        for i in 0..<count {
            for j in 0..<i {
                var dot = 0.0
                for t in 0..<length { dot += v[i * length + t] * v[j * length + t] }
                for t in 0..<length { v[i * length + t] -= dot * v[j * length + t] }
            }
            var norm = 0.0
            for t in 0..<length { norm += v[i * length + t] * v[i * length + t] }
            norm = norm.squareRoot()
            // Unit length here (later projections need unit vectors); the gain comes at the end.
            // A degenerate draw is practically impossible; keep it finite anyway.
            let scale = norm > 1e-12 ? 1 / norm : 0
            for t in 0..<length { v[i * length + t] *= scale }
        }
        for r in 0..<out {
            for c in 0..<inp {
                w[r * inp + c] = Float(gain * (byRows ? v[r * length + c] : v[c * length + r]))
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import BLAS
import Policy

/// Adam (Kingma & Ba 2015) over a policy's flat parameter buffer, with bias correction.
///
/// The moments are kept as Float (like PyTorch's for Float parameters), the step count exactly.
final class AdamOptimizer {
    let count: Int
    var m: [Float]
    var v: [Float]
    var step: Int = 0

    init(parameterCount: Int) {
        count = parameterCount
        m = [Float](repeating: 0, count: parameterCount)
        v = [Float](repeating: 0, count: parameterCount)
    }

    /// theta -= lr * m_hat / (sqrt(v_hat) + eps), with m, v the running moments of `gradient`.
    func apply(gradient: UnsafePointer<Float>, to theta: UnsafeMutablePointer<Float>,
               learningRate: Double, beta1: Double, beta2: Double, eps: Double) {
        step += 1
        let b1 = Float(beta1), b2 = Float(beta2)
        let c1 = 1 - Float(pow(beta1, Double(step)))
        let c2 = 1 - Float(pow(beta2, Double(step)))
        // Fold the bias corrections into the step size and epsilon (the PyTorch formulation).
        let stepSize = Float(learningRate) / c1
        let sqrtC2 = c2.squareRoot()
        let e = Float(eps)
        m.withUnsafeMutableBufferPointer { mp in
            v.withUnsafeMutableBufferPointer { vp in
                // Eight lanes at a time, spelled out: the four buffers could alias as far as LLVM
                // knows, so the scalar loop stayed scalar (and this pass streams ~8 MB per step).
                typealias V8 = SIMD8<Float>
                let m0 = UnsafeMutableRawPointer(mp.baseAddress!), v0 = UnsafeMutableRawPointer(vp.baseAddress!)
                let g0 = UnsafeRawPointer(gradient), t0 = UnsafeMutableRawPointer(theta)
                var i = 0
                while i + 8 <= count {
                    let o = i * 4
                    let g = g0.loadUnaligned(fromByteOffset: o, as: V8.self)
                    let mi = b1 * m0.loadUnaligned(fromByteOffset: o, as: V8.self) + (1 - b1) * g
                    let vi = b2 * v0.loadUnaligned(fromByteOffset: o, as: V8.self) + (1 - b2) * g * g
                    m0.storeBytes(of: mi, toByteOffset: o, as: V8.self)
                    v0.storeBytes(of: vi, toByteOffset: o, as: V8.self)
                    let step = stepSize * mi / (vi.squareRoot() / sqrtC2 + e)
                    t0.storeBytes(of: t0.loadUnaligned(fromByteOffset: o, as: V8.self) - step, toByteOffset: o, as: V8.self)
                    i += 8
                }
                while i < count {
                    let g = gradient[i]
                    let mi = b1 * mp[i] + (1 - b1) * g
                    let vi = b2 * vp[i] + (1 - b2) * g * g
                    mp[i] = mi
                    vp[i] = vi
                    theta[i] -= stepSize * mi / (vi.squareRoot() / sqrtC2 + e)
                    i += 1
                }
            }
        }
    }

    func reset() {
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
        step = 0
    }
}

extension AdamOptimizer {
    /// One step of an update loop (the PPO update's and the cloning phase's alike): `gradient`
    /// masked to the trainable parameters (`mask` 1 or 0 per parameter; nil: all train), its
    /// global norm clipped to `maxGradNorm`, then Adam on `policy`'s parameters. Returns the norm
    /// before clipping, or nil when it is not finite (then nothing moved).
    func maskedClippedStep(gradient: inout [Float], mask: [Float]?, maxGradNorm: Double, policy: Policy, learningRate: Double,
                           beta1: Double, beta2: Double, eps: Double) -> Double? {
        if let mask {
            // Frozen tensors get no gradient, so Adam never moves them.
            gradient.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= mask[i] } }
        }
        let norm = gradient.withUnsafeBufferPointer {
            Double(BLAS.sdot(count: $0.count, x: $0.baseAddress!, y: $0.baseAddress!)).squareRoot()
        }
        guard norm.isFinite else { return nil }
        if norm > maxGradNorm {
            let scale = Float(maxGradNorm / (norm + 1e-6))
            gradient.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= scale } }
        }
        gradient.withUnsafeBufferPointer { g in
            policy.withParameters { p in
                apply(gradient: g.baseAddress!, to: p.baseAddress!, learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps)
            }
        }
        return norm
    }
}

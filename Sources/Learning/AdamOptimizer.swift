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
                for i in 0..<count {
                    let g = gradient[i]
                    let mi = b1 * mp[i] + (1 - b1) * g
                    let vi = b2 * vp[i] + (1 - b2) * g * g
                    mp[i] = mi
                    vp[i] = vi
                    theta[i] -= stepSize * mi / (vi.squareRoot() / sqrtC2 + e)
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

#if canImport(Glibc)
import Glibc
#endif

import BLAS
#if canImport(Glibc)
import Glibc
#endif

/// The forward pass, log-probs and entropy, and the analytic backward pass (backprop through gemm).
extension Policy {
    /// Runs the MLP on `count` observations (row-major) into `workspace.head`: logits (binned) or
    /// means (gaussian). One gemm per layer for a batch, gemv for a single row (OpenBLAS's gemm
    /// with M = 1 is several times slower than its gemv).
    /// `forBackward` keeps every hidden activation row-major for `backward` (acting does not need them).
    func forward(_ observations: UnsafePointer<Float>, count n: Int, workspace ws: PolicyWorkspace, forBackward: Bool = false) {
        precondition(n <= ws.capacity && ws.config == config, "workspace too small or for another architecture")
        let x = firstLayerInput(observations, count: n, workspace: ws)
        if !forBackward && n > 1 && n <= Self.smallBatch {
            forwardFeatureMajor(x, count: n, workspace: ws)
            return
        }
        var input = x
        for (l, layer) in linears.enumerated() {
            let isHead = l == linears.count - 1
            let out = isHead ? ws.head : ws.hidden[l]
            let w = UnsafePointer(parameters + layer.weight)
            let b = UnsafePointer(parameters + layer.bias)
            // Broadcast the bias, then accumulate x * W^T on top of it (beta = 1).
            for r in 0..<n { (out + r * layer.output).update(from: b, count: layer.output) }
            if n == 1 {
                BLAS.sgemv(.none, rows: layer.output, cols: layer.input, a: w, lda: layer.input, x: input, beta: 1, y: out)
            } else {
                BLAS.sgemm(.none, .transpose, m: n, n: layer.output, k: layer.input,
                           a: input, lda: layer.input, b: w, ldb: layer.input, beta: 1, c: out, ldc: layer.output)
            }
            if !isHead { activate(out, count: n * layer.output) }
            input = UnsafePointer(out)
        }
    }

    /// Batches up to this size act through `forwardFeatureMajor`.
    static let smallBatch = 32

    /// The forward pass for a few rows (acting N attempts at once), computed feature-major:
    /// H^T = W * X^T, so the large weight matrix is gemm's A operand and the few rows its narrow B.
    /// OpenBLAS then packs only the small operand's panels efficiently instead of re-packing the whole
    /// weight matrix as a transposed B for every call, which made batch 8 cost ~6x batch 1.
    /// Leaves the head outputs row-major in `workspace.head`, like `forward`; the hidden
    /// activations stay transposed (only the learner's `evaluate` path reads them, and it does not
    /// come here: its minibatches are larger than `smallBatch`).
    private func forwardFeatureMajor(_ x: UnsafePointer<Float>, count n: Int, workspace ws: PolicyWorkspace) {
        let obs = config.observationSize
        for r in 0..<n { for c in 0..<obs { ws.inputT[c * n + r] = x[r * obs + c] } }
        var input = UnsafePointer(ws.inputT)
        for (l, layer) in linears.enumerated() {
            let isHead = l == linears.count - 1
            let out = isHead ? ws.dHead : ws.hidden[l]   // [output, n]; dHead is free while acting
            let b = parameters + layer.bias
            for j in 0..<layer.output { (out + j * n).update(repeating: b[j], count: n) }
            BLAS.sgemm(.none, .none, m: layer.output, n: n, k: layer.input,
                       a: parameters + layer.weight, lda: layer.input, b: input, ldb: n, beta: 1, c: out, ldc: n)
            if !isHead { activate(out, count: n * layer.output) }
            input = UnsafePointer(out)
        }
        let outputs = config.headOutputs
        for j in 0..<outputs { for r in 0..<n { ws.head[r * outputs + j] = ws.dHead[j * n + r] } }
    }

    /// Whether observations pass through the normaliser or the clip before the first layer.
    var transformsInput: Bool { normalizer != nil || config.observationClip != nil }

    /// The first layer's input for `count` observations: `x` itself, or `(x - mean) / std`
    /// clipped to [-c, c] (each part when configured) written into `workspace.normalized`.
    private func firstLayerInput(_ x: UnsafePointer<Float>, count n: Int, workspace ws: PolicyWorkspace) -> UnsafePointer<Float> {
        guard transformsInput else { return x }
        let obs = config.observationSize
        let out = ws.normalized
        if let normalizer {
            // A division, not a multiply by 1/std: bit for bit what PyTorch's normaliser computes.
            normalizer.mean.withUnsafeBufferPointer { mean in
                normalizer.std.withUnsafeBufferPointer { std in
                    for r in 0..<n {
                        for c in 0..<obs { out[r * obs + c] = (x[r * obs + c] - mean[c]) / std[c] }
                    }
                }
            }
        } else {
            out.update(from: x, count: n * obs)
        }
        if let c = config.observationClip {
            for i in 0..<(n * obs) { out[i] = min(max(out[i], -c), c) }
        }
        return UnsafePointer(out)
    }

    @inline(__always)
    private func activate(_ p: UnsafeMutablePointer<Float>, count: Int) {
        switch config.activation {
        case .tanh: VectorMath.tanhInPlace(p, count: count)
        case .relu: for i in 0..<count { p[i] = max(p[i], 0) }
        }
    }

    /// For the learner: log pi(raw_i | obs_i) and the entropy of pi(. | obs_i), each at temperature
    /// T_i > 0, into `workspace.logProbs` / `workspace.entropies`, keeping what `backward` needs.
    ///
    /// - Parameters:
    ///   - observations: `count * observationSize`, row-major.
    ///   - raw: `count * actionSize`: `ActionSample.raw` of each row.
    ///   - temperatures: `count` values, each > 0.
    public func evaluate(
        observations: UnsafePointer<Float>, raw: UnsafePointer<Float>, temperatures: UnsafePointer<Float>,
        count n: Int, workspace ws: PolicyWorkspace
    ) {
        forward(observations, count: n, workspace: ws, forBackward: true)
        let dims = config.actionSize
        switch config.head {
        case .binned:
            let k = config.bins
            for i in 0..<n {
                let invT = 1 / temperatures[i]
                var logProb: Float = 0, entropy: Float = 0
                for d in 0..<dims {
                    let offset = (i * dims + d) * k
                    let z = ws.head + offset, p = ws.probs + offset
                    // Softmax of z/T with one vectorised exp: e_j = exp((z_j - max) / T).
                    let m = VectorMath.maximum(z, count: k)
                    VectorMath.shiftedExp(z, shift: m, scale: invT, into: p, count: k)
                    let sum = VectorMath.sum(p, count: k)
                    let logSum = logf(sum), invSum = 1 / sum
                    // Keep log p (in place of the logits) and p for the backward pass.
                    // Eight lanes at a time (bins are a multiple of 8 in practice), so the entropy
                    // reduction vectorises; the tail is scalar.
                    var h8 = SIMD8<Float>(repeating: 0)
                    var j = 0
                    while j + 8 <= k {
                        let zr = UnsafeMutableRawPointer(z + j), pr = UnsafeMutableRawPointer(p + j)
                        let logp = (zr.loadUnaligned(as: SIMD8<Float>.self) - m) * invT - logSum
                        let pj = pr.loadUnaligned(as: SIMD8<Float>.self) * invSum
                        zr.storeBytes(of: logp, as: SIMD8<Float>.self)
                        pr.storeBytes(of: pj, as: SIMD8<Float>.self)
                        h8 -= pj * logp
                        j += 8
                    }
                    var h = h8.sum()
                    while j < k {
                        let logp = (z[j] - m) * invT - logSum
                        let pj = p[j] * invSum
                        z[j] = logp
                        p[j] = pj
                        h -= pj * logp
                        j += 1
                    }
                    ws.dimEntropy[i * dims + d] = h
                    logProb += z[Self.binIndex(raw[i * dims + d], bins: k)]
                    entropy += h
                }
                ws.logProbs[i] = logProb
                ws.entropies[i] = entropy
            }
        case .gaussian:
            let halfLog2Pi = Float(0.5 * log(2 * Double.pi))
            for i in 0..<n {
                let logT = logf(temperatures[i])
                var logProb: Float = 0, entropy: Float = 0
                for d in 0..<dims {
                    let logStd = parameters[logStdOffset + d] + logT
                    let zed = (raw[i * dims + d] - ws.head[i * dims + d]) * expf(-logStd)
                    logProb += -0.5 * zed * zed - logStd - halfLog2Pi
                    entropy += 0.5 + halfLog2Pi + logStd
                }
                ws.logProbs[i] = logProb
                ws.entropies[i] = entropy
            }
        }
    }

    /// For the learner: adds d(loss)/d(parameters) to `gradient` (`parameterCount` values), given
    /// d(loss)/d(logProb_i) and d(loss)/d(entropy_i) for the rows of the last `evaluate` on the
    /// same workspace with the same inputs (the parameters must not have changed in between).
    public func backward(
        observations: UnsafePointer<Float>, raw: UnsafePointer<Float>, temperatures: UnsafePointer<Float>,
        count n: Int, dLogProb: UnsafePointer<Float>, dEntropy: UnsafePointer<Float>,
        workspace ws: PolicyWorkspace, gradient: UnsafeMutablePointer<Float>
    ) {
        let dims = config.actionSize
        switch config.head {
        case .binned:
            // With z = logits/T, p = softmax(z) (ws.probs), log p_j (ws.head), H per dimension (ws.dimEntropy):
            //   d log p_k / d z_j = [j == k] - p_j,   d H / d z_j = -p_j (log p_j + H),
            // and d/d logits = (d/d z) / T.
            let k = config.bins
            for i in 0..<n {
                let invT = 1 / temperatures[i]
                let gLog = dLogProb[i] * invT, gEnt = dEntropy[i] * invT
                for d in 0..<dims {
                    let offset = (i * dims + d) * k
                    let logp = ws.head + offset, p = ws.probs + offset, dz = ws.dHead + offset
                    if gEnt == 0 {
                        for j in 0..<k { dz[j] = -gLog * p[j] }
                    } else {
                        let h = ws.dimEntropy[i * dims + d]
                        for j in 0..<k { dz[j] = -p[j] * (gLog + gEnt * (logp[j] + h)) }
                    }
                    dz[Self.binIndex(raw[i * dims + d], bins: k)] += gLog
                }
            }
        case .gaussian:
            // sigma = exp(log_std) * T; log p = -z^2/2 - log sigma - log(2 pi)/2 with z = (x - mu)/sigma:
            //   d log p / d mu = z / sigma,  d log p / d log_std = z^2 - 1,  d H / d log_std = 1.
            for i in 0..<n {
                let logT = logf(temperatures[i])
                for d in 0..<dims {
                    let invSigma = expf(-(parameters[logStdOffset + d] + logT))
                    let zed = (raw[i * dims + d] - ws.head[i * dims + d]) * invSigma
                    ws.dHead[i * dims + d] = dLogProb[i] * zed * invSigma
                    gradient[logStdOffset + d] += dLogProb[i] * (zed * zed - 1) + dEntropy[i]
                }
            }
        }
        backpropagate(observations, count: n, workspace: ws, gradient: gradient)
    }

    /// Backprop of `workspace.dHead` through the linear layers and activations into `gradient`.
    private func backpropagate(
        _ x: UnsafePointer<Float>, count n: Int, workspace ws: PolicyWorkspace, gradient: UnsafeMutablePointer<Float>
    ) {
        var dOut = ws.dHead
        var spare = ws.dA
        for l in stride(from: linears.count - 1, through: 0, by: -1) {
            let layer = linears[l]
            // The first layer saw the normalised input (the normaliser itself gets no gradient).
            let input = l == 0 ? (transformsInput ? UnsafePointer(ws.normalized) : x) : UnsafePointer(ws.hidden[l - 1])
            // dW += dOut^T * input  ([out, n] x [n, in]);  db += column sums of dOut.
            BLAS.sgemm(.transpose, .none, m: layer.output, n: layer.input, k: n,
                       a: dOut, lda: layer.output, b: input, ldb: layer.input,
                       beta: 1, c: gradient + layer.weight, ldc: layer.input)
            BLAS.sgemv(.transpose, rows: n, cols: layer.output, a: dOut, lda: layer.output,
                       x: ws.ones, beta: 1, y: gradient + layer.bias)
            guard l > 0 else { break }
            // dIn = dOut * W ([n, out] x [out, in]), then through the activation of layer l-1,
            // whose derivative is written in terms of its output h: tanh' = 1 - h^2, relu' = [h > 0].
            let dIn = spare
            BLAS.sgemm(.none, .none, m: n, n: layer.input, k: layer.output,
                       a: dOut, lda: layer.output, b: parameters + layer.weight, ldb: layer.input,
                       c: dIn, ldc: layer.input)
            let h = ws.hidden[l - 1]
            let count = n * layer.input
            switch config.activation {
            case .tanh: for j in 0..<count { dIn[j] *= 1 - h[j] * h[j] }
            case .relu: for j in 0..<count where h[j] <= 0 { dIn[j] = 0 }
            }
            spare = dOut == ws.dHead ? ws.dB : dOut
            dOut = dIn
        }
    }

    /// The bin a raw value names (rounded and clamped, so a value off by float noise still maps).
    @inline(__always)
    static func binIndex(_ raw: Float, bins: Int) -> Int {
        min(max(Int(raw.rounded()), 0), bins - 1)
    }
}

/// The learner's passes on arrays (a minibatch's first `count` rows), for callers that hold their
/// minibatch in Swift arrays.
extension Policy {
    /// `evaluate` on the first `count` rows of `observations`, `raw` and `temperatures`.
    public func evaluate(observations: [Float], raw: [Float], temperatures: [Float], count: Int, workspace: PolicyWorkspace) {
        precondition(observations.count >= count * config.observationSize && raw.count >= count * config.actionSize
                     && temperatures.count >= count, "evaluate: fewer than \(count) rows")
        observations.withUnsafeBufferPointer { o in
            raw.withUnsafeBufferPointer { a in
                temperatures.withUnsafeBufferPointer { t in
                    evaluate(observations: o.baseAddress!, raw: a.baseAddress!, temperatures: t.baseAddress!, count: count, workspace: workspace)
                }
            }
        }
    }

    /// `backward` for the rows of the last `evaluate`, adding into `gradient`.
    public func backward(observations: [Float], raw: [Float], temperatures: [Float], count: Int, dLogProb: [Float],
                         dEntropy: [Float], workspace: PolicyWorkspace, gradient: inout [Float]) {
        precondition(observations.count >= count * config.observationSize && raw.count >= count * config.actionSize
                     && temperatures.count >= count && dLogProb.count >= count && dEntropy.count >= count
                     && gradient.count == parameterCount, "backward: fewer than \(count) rows, or a gradient of the wrong size")
        observations.withUnsafeBufferPointer { o in
            raw.withUnsafeBufferPointer { a in
                temperatures.withUnsafeBufferPointer { t in
                    gradient.withUnsafeMutableBufferPointer { g in
                        backward(observations: o.baseAddress!, raw: a.baseAddress!, temperatures: t.baseAddress!, count: count,
                                 dLogProb: dLogProb, dEntropy: dEntropy, workspace: workspace, gradient: g.baseAddress!)
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Elementwise maths for the softmax heads, where libm's scalar `expf` was the largest cost of an
/// update (hundreds of thousands of exponentials per minibatch).
///
/// Written as plain branch-free loops of adds, multiplies, selects and integer bit operations so
/// LLVM vectorises them for the baseline x86-64 target (no SSE4.1 rounding instructions, no libm
/// calls, which would keep the loop scalar).
enum VectorMath {
    /// exp(x): x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 Taylor polynomial (relative error
    /// < 2e-7, about one Float ulp), times 2^n built in the exponent bits. Inputs are clamped to
    /// [-87, 88] (where exp would under/overflow a Float); NaN stays NaN.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        var xc = x < -87 ? -87 : x
        xc = xc > 88 ? 88 : xc
        // Round x*log2(e) to the nearest integer with the 1.5 * 2^23 trick: after the add, the
        // integer sits in the low mantissa bits.
        let shifted = xc * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let ni = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        // ln 2 split in two so n * ln2hi is exact.
        var r = xc - n * 0.693_145_75
        r = r - n * 1.428_606_8e-6
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: (ni &+ 127) &<< 23))
        return p * scale
    }

    /// out[i] = exp((z[i] - shift) * scale) for `count` values: the tempered softmax numerators.
    @inline(__always)
    static func shiftedExp(_ z: UnsafePointer<Float>, shift: Float, scale: Float, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = exp((z[i] - shift) * scale) }
    }

    /// p[i] = exp(p[i]) for `count` values.
    @inline(__always)
    static func expInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = exp(p[i]) }
    }

    /// p[i] = tanh(p[i]) for `count` values, as 1 - 2 / (exp(2x) + 1): absolute error ~1e-7
    /// (libm's tanhf goes through a scalar expm1f and was a sixth of an update).
    @inline(__always)
    static func tanhInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = 1 - 2 / (exp(2 * p[i]) + 1) }
    }

    /// The largest of `count` values (8 running maxima, so the loop vectorises).
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            // A compare-and-select, not pointwiseMax: that one's NaN rules keep it scalar.
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            acc.replace(with: v, where: v .> acc)
            i += 8
        }
        var m = acc.max()
        while i < count { m = p[i] > m ? p[i] : m; i += 1 }
        return m
    }

    /// The sum of `count` values (8 running partial sums, so the loop vectorises).
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }
}

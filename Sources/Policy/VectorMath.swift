#if canImport(Glibc)
import Glibc
#endif

/// Vectorised elementwise maths for the softmax heads, where libm's scalar `expf` was the largest
/// cost of an update (hundreds of thousands of exponentials per minibatch).
enum VectorMath {
    private typealias V = SIMD16<Float>

    /// exp(x) for 16 lanes: x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 Taylor polynomial
    /// (relative error < 2e-7, about one Float ulp), times 2^n built in the exponent bits.
    /// Inputs are clamped to [-87, 88] (exp would under/overflow Float); NaN stays NaN.
    @inline(__always)
    private static func exp16(_ x: V) -> V {
        let xc = x.clamped(lowerBound: V(repeating: -87), upperBound: V(repeating: 88))
        let n = (xc * V(repeating: 1.442_695_04)).rounded(.toNearestOrEven)
        // ln 2 split in two so n * ln2hi is exact.
        var r = xc - n * V(repeating: 0.693_145_75)
        r = r - n * V(repeating: 1.428_606_8e-6)
        var p = V(repeating: 1.0 / 720)
        p = p * r + V(repeating: 1.0 / 120)
        p = p * r + V(repeating: 1.0 / 24)
        p = p * r + V(repeating: 1.0 / 6)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        let exponent = (SIMD16<Int32>(n, rounding: .towardZero) &+ 127) &<< 23
        let scale = unsafeBitCast(exponent, to: V.self)
        let result = p * scale
        return result.replacing(with: x, where: x .!= x)
    }

    /// p[i] = exp(p[i]) for `count` values.
    @inline(__always)
    static func expInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let raw = UnsafeMutableRawPointer(p + i)
            let v = raw.loadUnaligned(as: V.self)
            raw.storeBytes(of: exp16(v), as: V.self)
            i += 16
        }
        while i < count { p[i] = expf(p[i]); i += 1 }
    }

    /// The largest of `count` values (NaN if any is NaN is not guaranteed; callers check finiteness elsewhere).
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity
        var i = 0
        if count >= 16 {
            var v = V(repeating: -.infinity)
            while i + 16 <= count {
                v = pointwiseMax(v, UnsafeRawPointer(p + i).loadUnaligned(as: V.self))
                i += 16
            }
            m = v.max()
        }
        while i < count { m = max(m, p[i]); i += 1 }
        return m
    }

    /// The sum of `count` values.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        var s: Float = 0
        var i = 0
        if count >= 16 {
            var v = V(repeating: 0)
            while i + 16 <= count {
                v += UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
                i += 16
            }
            s = v.sum()
        }
        while i < count { s += p[i]; i += 1 }
        return s
    }
}

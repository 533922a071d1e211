import COpenBLAS
import Glibc
import Foundation

/// Single-precision BLAS through OpenBLAS, row-major throughout.
///
/// These are thin: the shapes are checked with `precondition` (a wrong shape is a programming
/// error, not an input error) and the work is OpenBLAS's.
public enum BLAS {
    /// Whether a matrix is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transpose
        @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// C = alpha * op(A) * op(B) + beta * C, with op(A) m x k, op(B) k x n, C m x n (row-major).
    @inlinable
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha * op(A) * x + beta * y, with A rows x cols (row-major).
    @inlinable
    public static func sgemv(
        _ trans: Transpose, rows: Int, cols: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(CblasRowMajor, trans.cblas, Int32(rows), Int32(cols), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// y += alpha * x.
    @inlinable
    public static func saxpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// The dot product of x and y.
    @inlinable
    public static func sdot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(count), x, 1, y, 1)
    }

    /// Threads OpenBLAS may use (1 keeps the control loop's latency steady on a 2-core robot PC).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// OpenBLAS's build description (kernel and threading), e.g. "OpenBLAS 0.3.21 ... Haswell".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The kernel OpenBLAS picked for this CPU.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// If OpenBLAS fell back to a generic kernel on a CPU it did not recognise (Debian's 0.3.21
    /// picks "Prescott" on Sapphire Rapids: sgemm runs at ~1/4 speed), sets `OPENBLAS_CORETYPE` to
    /// the kernel the CPU supports and re-executes this program (same pid, same arguments), since
    /// OpenBLAS reads the variable only when it loads. Returns the kernel it chose when the
    /// re-exec failed; otherwise returns nil (nothing to do) or does not return.
    /// `OPENBLAS_CORETYPE` set by the user is always respected.
    @discardableResult
    public static func reexecWithNativeKernelIfNeeded() -> String? {
        guard let core = suggestedCoreType else { return nil }
        fflush(nil)  // exec discards buffered output
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        return core
    }

    /// The `OPENBLAS_CORETYPE` to set when OpenBLAS fell back to a generic kernel on a CPU whose
    /// vector extensions a better one uses, or nil when the kernel is fine or the variable is
    /// already set.
    public static var suggestedCoreType: String? {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return nil }
        let generic: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine"]
        guard generic.contains(coreName) else { return nil }
        return coreType(for: vectorFeatures)
    }

    /// The CPU's vector extensions, from CPUID (works where /proc/cpuinfo is hidden, as under the
    /// unit's `ProcSubset=pid`).
    public static var vectorFeatures: VectorFeatures { VectorFeatures(rawValue: Int(ttad_cpu_vector_features())) }

    /// The OpenBLAS kernel for a CPU with `features`: SkylakeX with AVX-512, Haswell with AVX2 and
    /// FMA, Sandybridge with AVX, else nil.
    static func coreType(for features: VectorFeatures) -> String? {
        if features.contains(.avx512) { return "SkylakeX" }
        if features.isSuperset(of: [.avx2, .fma]) { return "Haswell" }
        if features.contains(.avx) { return "Sandybridge" }
        return nil
    }

    /// x86 vector extensions usable by this process (the CPU has them and the OS saves their registers).
    public struct VectorFeatures: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let avx = VectorFeatures(rawValue: 1)
        public static let fma = VectorFeatures(rawValue: 2)
        public static let avx2 = VectorFeatures(rawValue: 4)
        /// AVX-512 F, DQ, BW and VL together (what OpenBLAS's SkylakeX kernel needs).
        public static let avx512 = VectorFeatures(rawValue: 8)
    }
}

/// A dense row-major Float matrix that owns its storage.
public struct Matrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let cols: Int
    /// `rows * cols` values, row-major.
    public var values: [Float]

    /// A zero matrix.
    public init(rows: Int, cols: Int) {
        self.init(rows: rows, cols: cols, values: [Float](repeating: 0, count: rows * cols))
    }

    /// Wraps `values`, which must hold exactly `rows * cols` numbers.
    public init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "Matrix \(rows)x\(cols) needs \(rows * cols) values, got \(values.count)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// The value at (row, col).
    public subscript(row: Int, col: Int) -> Float {
        get { values[row * cols + col] }
        set { values[row * cols + col] = newValue }
    }

    /// self * other through sgemm.
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(cols == other.rows, "shape mismatch: \(rows)x\(cols) * \(other.rows)x\(other.cols)")
        var out = Matrix(rows: rows, cols: other.cols)
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(.none, .none, m: rows, n: other.cols, k: cols,
                               a: a.baseAddress!, lda: cols, b: b.baseAddress!, ldb: other.cols,
                               c: c.baseAddress!, ldc: other.cols)
                }
            }
        }
        return out
    }
}

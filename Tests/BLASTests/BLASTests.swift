import Testing
@testable import BLAS

@Suite struct BLASTests {
    /// Deterministic pseudo-random values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    static func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let x = transA ? a[p * m + i] : a[i * k + p]
                    let y = transB ? b[j * k + p] : b[p * n + j]
                    sum += Double(x) * Double(y)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sgemmMatchesANaiveLoop(transA: Bool, transB: Bool) {
        let (m, n, k) = (7, 13, 33)
        let a = Self.values(m * k, seed: 1), b = Self.values(k * n, seed: 2)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.sgemm(transA ? .transpose : .none, transB ? .transpose : .none, m: m, n: n, k: k,
                   a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, c: &c, ldc: n)
        let expected = Self.naive(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
        for (x, y) in zip(c, expected) { #expect(abs(x - y) < 1e-4) }
        #expect(c.contains { $0 != 0 }, "OpenBLAS wrote the result")
    }

    @Test func sgemvMatchesANaiveLoopBothWays() {
        let (rows, cols) = (17, 9)
        let a = Self.values(rows * cols, seed: 3)
        let x = Self.values(cols, seed: 4), xt = Self.values(rows, seed: 5)
        var y = [Float](repeating: 1, count: rows)
        BLAS.sgemv(.none, rows: rows, cols: cols, alpha: 2, a: a, lda: cols, x: x, beta: 0.5, y: &y)
        for i in 0..<rows {
            let dot = (0..<cols).reduce(Float(0)) { $0 + a[i * cols + $1] * x[$1] }
            #expect(abs(y[i] - (2 * dot + 0.5)) < 1e-4)
        }
        var yt = [Float](repeating: 0, count: cols)
        BLAS.sgemv(.transpose, rows: rows, cols: cols, a: a, lda: cols, x: xt, y: &yt)
        for j in 0..<cols {
            let dot = (0..<rows).reduce(Float(0)) { $0 + a[$1 * cols + j] * xt[$1] }
            #expect(abs(yt[j] - dot) < 1e-4)
        }
    }

    @Test func matrixProductAndAxpy() {
        let a = Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        let b = Matrix(rows: 3, cols: 2, values: [7, 8, 9, 10, 11, 12])
        #expect(a.multiplied(by: b).values == [58, 64, 139, 154])
        var y: [Float] = [1, 1, 1]
        BLAS.saxpy(count: 3, alpha: 2, x: [1, 2, 3], y: &y)
        #expect(y == [3, 5, 7])
        #expect(BLAS.sdot(count: 3, x: [1, 2, 3], y: [4, 5, 6]) == 32)
    }

    @Test func itIsOpenBLAS() {
        #expect(BLAS.configuration.contains("OpenBLAS"))
        #expect(BLAS.threads >= 1)
    }
}

@Suite struct BLASKernelTests {
    @Test func suggestedCoreTypeIsAKnownKernelOrNil() {
        if let name = BLAS.suggestedCoreType {
            #expect(["SkylakeX", "Haswell", "Sandybridge"].contains(name))
        }
        #expect(!BLAS.coreName.isEmpty)
    }

    @Test func cpuidAgreesWithTheKernelsCpuFlags() throws {
        // The CPUID probe replaces /proc/cpuinfo (hidden under ProcSubset=pid); where the file is
        // readable, the kernel's flags must say the same.
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let features = BLAS.vectorFeatures
        #expect(features.contains(.avx) == flags.contains("avx"))
        #expect(features.contains(.fma) == flags.contains("fma"))
        #expect(features.contains(.avx2) == flags.contains("avx2"))
        #expect(features.contains(.avx512) == flags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"]))
    }

    @Test func theKernelForEachFeatureSet() {
        #expect(BLAS.coreType(for: [.avx, .fma, .avx2, .avx512]) == "SkylakeX")
        #expect(BLAS.coreType(for: [.avx, .fma, .avx2]) == "Haswell")
        #expect(BLAS.coreType(for: [.avx]) == "Sandybridge")
        #expect(BLAS.coreType(for: []) == nil)
    }
}

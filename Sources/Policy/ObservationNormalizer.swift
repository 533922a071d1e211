/// A fixed observation normaliser: the policy's input is `(obs - mean) / std` (then clipped to
/// `[-c, c]` when the architecture has `observation_clip: c`).
///
/// It is part of the policy a checkpoint carries (tensors `obs_norm.mean` and `obs_norm.std`,
/// shape `[observation_size]`, docs/checkpoint-format.md), but not of its parameters: no gradient
/// reaches it, Adam has no state for it, and every update, candidate and rollback carries it
/// unchanged. Trainers elsewhere (PyTorch's running mean/std) learn it; ttad applies it, and fits
/// one (`fit`) only for its own fresh initialisation, once, from stored demonstrations.
public struct ObservationNormalizer: Sendable, Equatable {
    /// Tensor name of the mean.
    public static let meanName = "obs_norm.mean"
    /// Tensor name of the standard deviation.
    public static let stdName = "obs_norm.std"

    /// Subtracted from each observation value.
    public let mean: [Float]
    /// Divides each centred value; every entry finite and > 0.
    public let std: [Float]

    /// A normaliser for observations of `mean.count` values.
    /// - Throws: `PolicyError.invalidNormalizer` naming the tensor and the index of the first bad
    ///   value (a non-finite mean, a std that is not finite and > 0), or the lengths that differ.
    public init(mean: [Float], std: [Float]) throws {
        guard mean.count == std.count else {
            throw PolicyError.invalidNormalizer(name: Self.stdName, index: nil,
                                                "has \(std.count) values, \(Self.meanName) has \(mean.count)")
        }
        if let i = mean.firstIndex(where: { !$0.isFinite }) {
            throw PolicyError.invalidNormalizer(name: Self.meanName, index: i, "is \(mean[i]); every mean must be finite")
        }
        if let i = std.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw PolicyError.invalidNormalizer(name: Self.stdName, index: i, "is \(std[i]); every std must be finite and > 0")
        }
        self.mean = mean
        self.std = std
    }

    /// The mean and standard deviation of `observations` (rows of `size` values), each std at least
    /// `stdFloor` (> 0: a value that never varied must not divide by 0); nil without a whole row or
    /// with a non-finite value.
    public static func fit(observations: [Float], size: Int, stdFloor: Float) -> ObservationNormalizer? {
        guard size > 0, stdFloor > 0, observations.count >= size, observations.count % size == 0 else { return nil }
        let rows = observations.count / size
        var mean = [Double](repeating: 0, count: size), square = [Double](repeating: 0, count: size)
        for r in 0..<rows {
            for j in 0..<size { mean[j] += Double(observations[r * size + j]) }
        }
        for j in 0..<size { mean[j] /= Double(rows) }
        for r in 0..<rows {
            for j in 0..<size {
                let d = Double(observations[r * size + j]) - mean[j]
                square[j] += d * d
            }
        }
        let std = (0..<size).map { Float(max((square[$0] / Double(rows)).squareRoot(), Double(stdFloor))) }
        return try? ObservationNormalizer(mean: mean.map { Float($0) }, std: std)
    }

    /// The two tensors as a checkpoint stores them.
    public var tensors: [NamedTensor] {
        [NamedTensor(name: Self.meanName, shape: [mean.count], values: mean),
         NamedTensor(name: Self.stdName, shape: [std.count], values: std)]
    }

    /// The normaliser in `tensors` for observations of `observationSize` values: nil when neither
    /// tensor is there (an older checkpoint: the identity).
    /// - Throws: `PolicyError` naming the tensor when only one is there, a shape is not
    ///   `[observationSize]`, or a value is bad (see `init(mean:std:)`).
    public static func find(in tensors: [NamedTensor], observationSize: Int) throws -> ObservationNormalizer? {
        let mean = tensors.first { $0.name == meanName }, std = tensors.first { $0.name == stdName }
        switch (mean, std) {
        case (nil, nil): return nil
        case (nil, _): throw PolicyError.invalidNormalizer(name: meanName, index: nil, "is missing while \(stdName) is present; a checkpoint carries both or neither")
        case (_, nil): throw PolicyError.invalidNormalizer(name: stdName, index: nil, "is missing while \(meanName) is present; a checkpoint carries both or neither")
        case let (mean?, std?):
            for t in [mean, std] {
                guard t.shape == [observationSize] else {
                    throw PolicyError.shapeMismatch(name: t.name, expected: [observationSize], found: t.shape)
                }
                guard t.values.count == observationSize else {
                    throw PolicyError.valueCountMismatch(name: t.name, expected: observationSize, found: t.values.count)
                }
            }
            return try ObservationNormalizer(mean: mean.values, std: std.values)
        }
    }
}

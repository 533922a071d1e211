/// One parameter (or optimizer) tensor by a stable name, row-major, as it goes into a checkpoint.
public struct NamedTensor: Sendable, Equatable {
    /// Stable name, e.g. "layers.0.weight" (PyTorch's `nn.Linear` convention: weight is [out, in]).
    public var name: String
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// The values, row-major; `shape.reduce(1, *)` of them.
    public var values: [Float]

    /// A tensor.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

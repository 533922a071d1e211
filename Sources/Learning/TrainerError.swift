/// Errors from loading optimizer state.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// A tensor the optimizer state needs is missing or mis-shaped.
    case badOptimizerTensor(String)

    public var description: String {
        switch self { case .badOptimizerTensor(let why): "optimizer state: \(why)" }
    }
}

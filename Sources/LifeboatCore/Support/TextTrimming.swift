extension StringProtocol {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// The text without the given leading and trailing characters.
    public func trimming(_ characters: String) -> String {
        var slice = Substring(self)
        while let c = slice.first, characters.contains(c) { slice = slice.dropFirst() }
        while let c = slice.last, characters.contains(c) { slice = slice.dropLast() }
        return String(slice)
    }
}

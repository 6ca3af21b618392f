// Array's `withUnsafe…` methods are `rethrows`, which erases a typed `throws(DataError)` closure to
// `any Error`. These wrappers keep the error type, so the module's APIs can stay `throws(DataError)`.

extension Array {
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(DataError) -> R) throws(DataError) -> R {
        var failure: DataError?
        let result = withUnsafeBytes { bytes -> R? in
            do throws(DataError) { return try body(bytes) } catch { failure = error; return nil }
        }
        if let failure { throw failure }
        return result!
    }

    @inline(__always)
    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(DataError) -> R) throws(DataError) -> R {
        var failure: DataError?
        let result = withUnsafeMutableBytes { bytes -> R? in
            do throws(DataError) { return try body(bytes) } catch { failure = error; return nil }
        }
        if let failure { throw failure }
        return result!
    }

    @inline(__always)
    func withBuffer<R>(_ body: (UnsafeBufferPointer<Element>) throws(DataError) -> R) throws(DataError) -> R {
        var failure: DataError?
        let result = withUnsafeBufferPointer { buffer -> R? in
            do throws(DataError) { return try body(buffer) } catch { failure = error; return nil }
        }
        if let failure { throw failure }
        return result!
    }
}

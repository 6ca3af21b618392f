// The 8-lane float vector the elementwise kernels work in, with unaligned loads and stores.

typealias Vector8 = SIMD8<Float>

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> Vector8 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector8.self)
}

@inline(__always)
func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector8.self)
}

namespace Lrbs.Core.Engine

/// An error reported by the native shim: a C++ exception (from libtorch or the shim's
/// own checks) caught at the C boundary, with its message.
type NativeException(message: string) =
    inherit System.Exception(message)

module Lrbs.Tests.EngineTests

open System
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers

[<Test>]
let ``float32 round trip keeps values and shape`` () =
    use t = T.ofFloat32 [| 2L; 3L |] [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |]
    assertEq [| 2L; 3L |] (t.Shape)
    assertEq [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |] (t.ToArray())

[<Test>]
let ``a C++ exception surfaces as a NativeException with libtorch's message`` () =
    use a = T.ofFloat32 [| 2L; 3L |] (Array.zeroCreate 6)
    use b = T.ofFloat32 [| 2L; 3L |] (Array.zeroCreate 6)
    let e = Assert.Throws<NativeException>(fun () -> T.matmul a b |> ignore)
    StringAssert.Contains("cannot be multiplied", e.Message)

[<Test>]
let ``a disposed tensor refuses use instead of crashing`` () =
    let t = T.scalar 1.0
    (t :> IDisposable).Dispose()
    Assert.Throws<ObjectDisposedException>(fun () -> t.ToArray() |> ignore) |> ignore

[<Test>]
let ``a scope disposes what was made in it, and MoveToOuter keeps a result`` () =
    let before = Runtime.liveTensors ()
    let kept =
        use s = new Scope()
        let a = T.ofFloat32 [| 3L |] [| 1.0f; 2.0f; 3.0f |]
        let b = a * 2.0 + 1.0
        s.MoveToOuter b
    Assert.That(Runtime.liveTensors (), Is.EqualTo(before + 1L))
    assertEq [| 3.0f; 5.0f; 7.0f |] (kept.ToArray())
    (kept :> IDisposable).Dispose()
    Assert.That(Runtime.liveTensors (), Is.EqualTo before)

[<Test>]
let ``the live native tensor count returns to zero after a training step`` () =
    let before = Runtime.liveTensors ()
    let spec = { Name = "t"; Input = Shape.Image(1, 8, 8); Layers = [ Layer.Conv2D(2, 3, 1, Padding.Same, Activation.Relu); Layer.MaxPool2D 2; Layer.Flatten; Layer.Dense(3, Activation.Softmax) ] }
    do
        use net = Network.Create(spec, 7UL)
        use opt = Factory.create (OptimizerSpec.Adam AdamConfig.Default) net.Parameters
        for _ in 1..3 do
            use _ = new Scope()
            let x = T.ofFloat32 [| 4L; 1L; 8L; 8L |] (Array.init 256 (fun i -> float32 (i % 7) / 7.0f))
            let y = T.ofInt64 [| 4L |] [| 0L; 1L; 2L; 1L |]
            let loss = Loss.compute Loss.CrossEntropy (net.Forward(x, true)) y
            T.backward loss
            opt.Step 0.01
        Assert.That(Runtime.liveTensors (), Is.GreaterThan before, "parameters and optimizer state are alive while in use")
    Assert.That(Runtime.liveTensors (), Is.EqualTo before)

[<Test>]
let ``NoGrad stops gradient recording and restores it`` () =
    use _ = new Scope()
    let w = T.ofFloat32 [| 2L |] [| 1.0f; 2.0f |]
    T.requiresGrad w
    do
        use _ = new NoGrad()
        let y = T.sum (w * w)
        Assert.Throws<NativeException>(fun () -> T.backward y) |> ignore
    T.backward (T.sum (w * w))
    assertEq [| 2.0f; 4.0f |] ((T.grad w).Value.ToArray())

[<Test>]
let ``thread count is settable and read back`` () =
    let previous = Runtime.threads ()
    Runtime.setThreads 1
    Assert.That(Runtime.threads (), Is.EqualTo 1)
    Runtime.setThreads previous
    Assert.Throws<NativeException>(fun () -> Runtime.setThreads 0) |> ignore

[<Test>]
let ``the generator is deterministic and permutations are permutations`` () =
    let a = Rng(42UL).Permutation 1000
    let b = Rng(42UL).Permutation 1000
    assertEq b a
    assertEq [| 0..999 |] (Array.sort a)
    Assert.That(Rng(43UL).Permutation 1000 <> a, Is.True)

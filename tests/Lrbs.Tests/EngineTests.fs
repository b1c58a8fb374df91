module Lrbs.Tests.EngineTests

open System
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Training

[<Test>]
let ``float32 round trip keeps values and shape`` () =
    use t = T.ofFloat32 [| 2L; 3L |] [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |]
    assertEq [| 2L; 3L |] (t.Shape)
    assertEq [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |] (t.ToArray())

[<Test>]
let ``a view reads the managed rows in place: no engine memory, the array's values, and a write to the array shows through`` () =
    let data = Array.init (1024 * 1024) float32 // 4 MiB
    let before = Runtime.memoryLive ()
    let t, pin = T.viewOfFloat32 [| 1024L; 1024L |] data

    try
        Assert.That(Runtime.memoryLive () - before, Is.LessThan 4096L, "a view allocates no tensor memory")
        assertEq data (t.ToArray())
        data[5] <- -1.0f
        Assert.That((t.ToArray())[5], Is.EqualTo -1.0f, "the tensor is the array, not a copy")
    finally
        (t :> IDisposable).Dispose()
        pin.Free()

    Assert.Throws<ArgumentException>(fun () -> T.viewOfFloat32 [| 3L |] [| 1.0f |] |> ignore) |> ignore

[<Test>]
let ``a C++ exception surfaces as a NativeException with the shim's message`` () =
    let spec = { Name = "bad"; Input = Shape.Vector 4; Layers = [ Layer.Dense(3, Activation.Softmax); Layer.Flatten ] }
    let e = Assert.Throws<NativeException>(fun () -> network spec (Loss.CrossEntropy LossForm.Logits) "sgd" |> ignore)
    StringAssert.Contains("softmax is supported on the last layer only", e.Message)
    let spec = { Name = "bad"; Input = Shape.Vector 4; Layers = [ Layer.Dense(3, Activation.Relu) ] }
    let e = Assert.Throws<NativeException>(fun () -> network spec (Loss.CrossEntropy LossForm.Logits) "sgd" |> ignore)
    StringAssert.Contains("categorical cross-entropy needs a last layer with softmax activation, got relu", e.Message)

[<Test>]
let ``a bad step is refused by the shim, not a crash`` () =
    let spec = { Name = "m"; Input = Shape.Vector 4; Layers = [ Layer.Dense(3, Activation.Softmax) ] }
    use net = network spec (Loss.CrossEntropy LossForm.Logits) "sgd"
    use _ = new Scope()
    let y = T.ofInt64 [| 2L |] [| 0L; 1L |]
    let e = Assert.Throws<NativeException>(fun () -> stepOn net [| 2L; 5L |] (Array.zeroCreate 10) y 0.1)
    Assert.That(e.Message, Is.Not.Empty)

[<Test>]
let ``a disposed tensor refuses use instead of crashing`` () =
    let t = T.ofFloat32 [| 1L |] [| 1.0f |]
    (t :> IDisposable).Dispose()
    Assert.Throws<ObjectDisposedException>(fun () -> t.ToArray() |> ignore) |> ignore

[<Test>]
let ``a scope disposes what was made in it, and MoveToOuter keeps a result`` () =
    let before = Runtime.liveHandles ()

    let kept =
        use s = new Scope()
        T.ofFloat32 [| 3L |] [| 1.0f; 2.0f; 3.0f |] |> ignore
        s.MoveToOuter(T.ofFloat32 [| 1L |] [| 7.0f |])

    Assert.That(Runtime.liveHandles (), Is.EqualTo(before + 1L))
    assertEq [| 7.0f |] (kept.ToArray())
    (kept :> IDisposable).Dispose()
    Assert.That(Runtime.liveHandles (), Is.EqualTo before)

[<Test>]
let ``a freed block of 16 MiB or more is kept and handed out again (new values), until the trial ends`` () =
    let n = 5 * 1024 * 1024 // 20 MiB of float32: above the cache's 16 MiB threshold
    let idle0, reused0 = Runtime.largeBlocks ()
    let first = T.ofFloat32 [| int64 n |] (Array.create n 1.0f)
    (first :> IDisposable).Dispose()
    let idle1, _ = Runtime.largeBlocks ()
    Assert.That(idle1 - idle0, Is.GreaterThanOrEqualTo(int64 n * 4L), "the freed block waits in the cache")
    let values = Array.init n float32
    let second = T.ofFloat32 [| int64 n |] values
    let idle2, reused2 = Runtime.largeBlocks ()
    Assert.That(reused2, Is.GreaterThan reused0, "the second tensor reused a cached block")
    Assert.That(idle2, Is.LessThan idle1)
    Assert.That(second.ToArray() = values, Is.True, "the reused block holds the new tensor's values")
    let small = T.ofFloat32 [| 1024L |] (Array.zeroCreate 1024)
    (small :> IDisposable).Dispose()
    Assert.That(fst (Runtime.largeBlocks ()), Is.EqualTo idle2, "small blocks go back to the system")
    (second :> IDisposable).Dispose()
    Assert.That(fst (Runtime.largeBlocks ()), Is.GreaterThan 0L)

    let c =
        trial [ "dataset", "mnist"; "train_limit", "100"; "batch_size", "16"; "max_epochs", "1"; "optimizer", "sgd"; "lr", "0.01" ]

    Trainer.run c (prepared c) Progress.None |> ignore
    Assert.That(fst (Runtime.largeBlocks ()), Is.EqualTo 0L, "a finished trial leaves no idle block behind")

[<Test>]
let ``Trainer.run itself leaves no native handle behind, step after step`` () =
    let c =
        trial [ "dataset", "mnist"; "train_limit", "300"; "batch_size", "16"; "max_epochs", "2"; "optimizer", "adam"; "lr", "0.001" ]

    let d = prepared c
    let before = Runtime.liveHandles ()
    let during = Collections.Generic.List<int64>()
    let progress = { Progress.None with OnBatch = fun _ _ _ _ -> during.Add(Runtime.liveHandles ()) }
    let r = Trainer.run c d progress
    Assert.That(r.Steps, Is.EqualTo(2 * 19))
    Assert.That(during.Count, Is.EqualTo r.Steps)
    Assert.That(during |> Seq.forall (fun h -> h = during[0]), Is.True, $"handles grew during an epoch: %A{Seq.distinct during |> List.ofSeq}")
    Assert.That(during[0], Is.GreaterThan before, "data, order and net are alive while training")
    Assert.That(Runtime.liveHandles (), Is.EqualTo before)

[<Test>]
let ``threads: the environment is set before load, and setThreads reaches libtorch and OpenBLAS`` () =
    for v in ThreadEnvironment.variables do
        Assert.That(ThreadEnvironment.get v, Is.Not.Null, $"{v} is set")

    let previous = Runtime.threads ()
    Runtime.setThreads 2
    Assert.That(Runtime.threads (), Is.EqualTo 2)
    Assert.That(Runtime.blasThreads (), Is.EqualTo 2)
    Runtime.setThreads 1
    Assert.That(Runtime.threads (), Is.EqualTo 1)
    Assert.That(Runtime.blasThreads (), Is.EqualTo 1)
    Runtime.setThreads previous
    let e = Assert.Throws<NativeException>(fun () -> Runtime.setThreads 0)
    StringAssert.Contains("thread count must be >= 1, got 0", e.Message)

[<Test>]
let ``the generator is deterministic and permutations are permutations`` () =
    let a = Rng(42UL).Permutation 1000
    let b = Rng(42UL).Permutation 1000
    assertEq b a
    assertEq [| 0..999 |] (Array.sort a)
    Assert.That(Rng(43UL).Permutation 1000 <> a, Is.True)

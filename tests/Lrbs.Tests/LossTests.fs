module Lrbs.Tests.LossTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Tests.Support

let private out (pre: Tensor) (output: Tensor) = { PreActivation = pre; Output = output }

/// float64 Keras categorical cross-entropy on probabilities (renormalise, clip, -sum y log p).
let private kerasCe (probs: float[][]) (labels: int[]) =
    Array.map2 (fun (p: float[]) y ->
        let s = Array.sum p
        -log (min (max (p[y] / s) 1e-7) (1.0 - 1e-7))) probs labels
    |> Array.average

let private softmax (z: float[]) =
    let m = Array.max z
    let e = z |> Array.map (fun v -> exp (v - m))
    e |> Array.map (fun v -> v / Array.sum e)

let private logitsGen =
    gen {
        let! n = Gen.choose (1, 6)
        let! k = Gen.choose (2, 5)
        let! z = Gen.arrayOfLength (n * k) (Gen.choose (-4000, 4000) |> Gen.map (fun v -> float v / 1000.0))
        let! y = Gen.arrayOfLength n (Gen.choose (0, k - 1))
        return n, k, z, y
    }

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``cross-entropy on probabilities matches the float64 Keras formula`` () =
    Prop.forAll (Arb.fromGen logitsGen) (fun (n, k, z, y) ->
        use _ = new Scope()
        let rows = Array.chunkBySize k z |> Array.map softmax
        let zt = T.ofFloat32 [| int64 n; int64 k |] (Array.map float32 z)
        let loss = Loss.compute Loss.CrossEntropy (out zt (T.softmax 1 zt)) (T.ofInt64 [| int64 n |] (Array.map int64 y))
        abs (loss.Item - kerasCe rows y) < 1e-5)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``the logits form equals the probability form while no probability is clipped`` () =
    Prop.forAll (Arb.fromGen logitsGen) (fun (n, k, z, y) ->
        use _ = new Scope()
        let zt = T.ofFloat32 [| int64 n; int64 k |] (Array.map float32 z)
        let yt = T.ofInt64 [| int64 n |] (Array.map int64 y)
        let o = out zt (T.softmax 1 zt)
        abs ((Loss.compute Loss.CrossEntropy o yt).Item - (Loss.compute Loss.CrossEntropyLogits o yt).Item) < 1e-5)

[<Test>]
let ``a confidently wrong softmax is clipped at -log(1e-7)`` () =
    use _ = new Scope()
    let p = T.ofFloat32 [| 1L; 2L |] [| 1.0f; 0.0f |]
    let l = Loss.compute Loss.CrossEntropy (out p p) (T.ofInt64 [| 1L |] [| 1L |])
    Assert.That(l.Item, Is.EqualTo(-log 1e-7).Within(1e-3))

[<Test>]
let ``binary cross-entropy follows Keras's formula`` () =
    use _ = new Scope()
    let p = [| 0.9; 0.2; 0.5; 1.0 |]
    let y = [| 1.0; 0.0; 1.0; 0.0 |]
    let pt = T.ofFloat32 [| 2L; 2L |] (Array.map float32 p)
    let l = Loss.compute Loss.BinaryCrossEntropy (out pt pt) (T.ofFloat32 [| 2L; 2L |] (Array.map float32 y))
    let expected =
        Array.map2 (fun pi yi ->
            let pc = float (float32 (min (max pi 1e-7) (1.0 - 1e-7))) // the engine clips in float32
            -(yi * log (pc + 1e-7) + (1.0 - yi) * log (1.0 - pc + 1e-7))) p y
        |> Array.average
    Assert.That(l.Item, Is.EqualTo(expected).Within(1e-4))

let private boxGen =
    gen {
        let coord = Gen.choose (0, 1000) |> Gen.map (fun v -> float32 v / 1000.0f)
        let! a = Gen.arrayOfLength 4 coord
        let! b = Gen.arrayOfLength 4 coord
        let sortBox (v: float32[]) = [| min v[0] v[2]; min v[1] v[3]; max v[0] v[2]; max v[1] v[3] |]
        return sortBox a, sortBox b
    }

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``IoU is symmetric, in [0, 1], and the tensor loss agrees with the pure metric`` () =
    Prop.forAll (Arb.fromGen boxGen) (fun (a, b) ->
        use _ = new Scope()
        let iouAB = Metrics.boxIoU a b
        let ta, tb = T.ofFloat32 [| 1L; 4L |] a, T.ofFloat32 [| 1L; 4L |] b
        let loss = (Loss.compute Loss.OneMinusIoU (out ta ta) tb).Item
        iouAB >= 0.0 && iouAB <= 1.0 + 1e-6 && abs (iouAB - Metrics.boxIoU b a) < 1e-9 && abs (loss - (1.0 - iouAB)) < 1e-4)

[<Test>]
let ``1 - IoU is 0 for the same box and 1 for disjoint boxes`` () =
    use _ = new Scope()
    let box = T.ofFloat32 [| 1L; 4L |] [| 0.1f; 0.1f; 0.5f; 0.6f |]
    let far = T.ofFloat32 [| 1L; 4L |] [| 0.6f; 0.7f; 0.9f; 0.9f |]
    Assert.That((Loss.compute Loss.OneMinusIoU (out box box) box).Item, Is.EqualTo(0.0).Within(1e-5))
    Assert.That((Loss.compute Loss.OneMinusIoU (out box box) far).Item, Is.EqualTo(1.0).Within(1e-6))

[<Test>]
let ``autograd through the shim matches finite differences`` () =
    use _ = new Scope()
    let spec = { Name = "g"; Input = Shape.Vector 3; Layers = [ Layer.Dense(4, Activation.Sigmoid); Layer.Dense(3, Activation.Softmax) ] }
    use net = Network.Create(spec, 11UL)
    let x = T.ofFloat32 [| 2L; 3L |] [| 0.5f; -1.0f; 2.0f; 1.5f; 0.2f; -0.3f |]
    let y = T.ofInt64 [| 2L |] [| 2L; 0L |]
    let lossAt () = (Loss.compute Loss.CrossEntropy (net.Forward(x, false)) y).Item
    T.backward (Loss.compute Loss.CrossEntropy (net.Forward(x, false)) y)
    let w = net.Parameters[0]
    let g = (T.grad w).Value.ToArray()
    let weights = net.GetKerasWeights()
    let original = weights[0].Values
    let h = 1e-2f
    let numeric =
        Array.init original.Length (fun i ->
            let at delta =
                let v = Array.copy original
                v[i] <- v[i] + delta
                net.SetKerasWeights({ weights[0] with Values = v } :: weights.Tail)
                lossAt ()
            (at h - at -h) / (2.0 * float h))
    assertAllClose 2e-2 2e-4 numeric (Array.map float g)

module Lrbs.Tests.LossTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Tests.Support

/// A one-layer net whose pre-activation is its input (identity kernel, zero bias), so a
/// loss can be evaluated on chosen logits or boxes through the training step itself.
let private identityNet (k: int) (activation: string) (loss: Loss) =
    let spec = { Name = "id"; Input = Shape.Vector k; Layers = [ Layer.Dense(k, activation) ] }
    let net = network spec loss "sgd"

    net.SetKerasWeights(
        0,
        [
            { Name = "k"; Shape = [| k; k |]; Values = Array.init (k * k) (fun i -> if i / k = i % k then 1.0f else 0.0f) }
            { Name = "b"; Shape = [| k |]; Values = Array.zeroCreate k }
        ]
    )

    net

/// The loss of one step at lr 0 (the weights do not move).
let private lossOn (net: Network) (n: int) (k: int) (x: float[]) (y: Tensor) =
    stepOn net [| int64 n; int64 k |] (Array.map float32 x) y 0.0
    (net.LastLoss())[0]

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

[<FsCheck.NUnit.Property(MaxTest = 40)>]
let ``categorical cross-entropy matches the float64 formulas of both forms`` () =
    Prop.forAll (Arb.fromGen logitsGen) (fun (n, k, z, y) ->
        use _ = new Scope()
        let labels = T.ofInt64 [| int64 n |] (Array.map int64 y)
        let rows = Array.chunkBySize k (Array.map (float32 >> float) z)
        // logits form: -log_softmax(z)[y]; clipped form: -log(clip(softmax(z)[y], 1e-7, 1 - 1e-7))
        let logits =
            Array.map2 (fun (r: float[]) t -> -(r[t] - (r |> Array.map (fun v -> exp (v - Array.max r)) |> Array.sum |> log) - Array.max r)) rows y
            |> Array.average

        let clipped = Array.map2 (fun (r: float[]) t -> -log(min (max (softmax r).[t] 1e-7) (1.0 - 1e-7))) rows y |> Array.average
        use a = identityNet k Activation.Softmax (Loss.CrossEntropy LossForm.Logits)
        use b = identityNet k Activation.Softmax (Loss.CrossEntropy LossForm.Clipped)

        abs (lossOn a n k z labels - logits) < 1e-5 * (1.0 + logits)
        && abs (lossOn b n k z labels - clipped) < 1e-5 * (1.0 + clipped))

[<Test>]
let ``a confidently wrong softmax: the clipped form stops at -log(1e-7), the logits form does not`` () =
    use _ = new Scope()
    let z = [| 30.0; -30.0 |]
    let y = T.ofInt64 [| 1L |] [| 1L |]
    use clipped = identityNet 2 Activation.Softmax (Loss.CrossEntropy LossForm.Clipped)
    use logits = identityNet 2 Activation.Softmax (Loss.CrossEntropy LossForm.Logits)
    Assert.That(lossOn clipped 1 2 z y, Is.EqualTo(-log 1e-7).Within(1e-3))
    Assert.That(lossOn logits 1 2 z y, Is.EqualTo(60.0).Within(1e-4))

[<Test>]
let ``binary cross-entropy follows Keras's formulas in both forms`` () =
    use _ = new Scope()
    let z = [| 2.0; -1.5; 0.0; 20.0 |]
    let t = [| 1.0; 0.0; 1.0; 0.0 |]
    let y = T.ofFloat32 [| 2L; 2L |] (Array.map float32 t)
    let p = z |> Array.map (fun v -> 1.0 / (1.0 + exp -v))
    let logits = Array.map2 (fun zi yi -> max zi 0.0 - zi * yi + log (1.0 + exp (-(abs zi)))) z t |> Array.average

    let clipped =
        Array.map2
            (fun pi yi ->
                let pc = float (float32 (min (max pi 1e-7) (1.0 - 1e-7))) // the engine clips in float32
                -(yi * log pc + (1.0 - yi) * log (1.0 - pc)))
            p
            t
        |> Array.average

    use a = identityNet 2 Activation.Sigmoid (Loss.BinaryCrossEntropy LossForm.Logits)
    use b = identityNet 2 Activation.Sigmoid (Loss.BinaryCrossEntropy LossForm.Clipped)
    Assert.That(lossOn a 2 2 z y, Is.EqualTo(logits).Within(1e-5))
    Assert.That(lossOn b 2 2 z y, Is.EqualTo(clipped).Within(1e-4))

let private boxGen =
    gen {
        let coord = Gen.choose (0, 1000) |> Gen.map (fun v -> float32 v / 1000.0f)
        let! a = Gen.arrayOfLength 4 coord
        let! b = Gen.arrayOfLength 4 coord
        let sortBox (v: float32[]) = [| min v[0] v[2]; min v[1] v[3]; max v[0] v[2]; max v[1] v[3] |]
        return sortBox a, sortBox b
    }

[<FsCheck.NUnit.Property(MaxTest = 60)>]
let ``IoU is symmetric, in [0, 1], and the engine's 1 - IoU agrees with the pure metric`` () =
    Prop.forAll (Arb.fromGen boxGen) (fun (a, b) ->
        use _ = new Scope()
        let iouAB = Metrics.boxIoU a b
        use net = identityNet 4 Activation.Linear (Loss.OneMinusIoU IouForm.Exact)
        let loss = lossOn net 1 4 (Array.map float a) (T.ofFloat32 [| 1L; 4L |] b)
        iouAB >= 0.0 && iouAB <= 1.0 + 1e-6 && abs (iouAB - Metrics.boxIoU b a) < 1e-9 && abs (loss - (1.0 - iouAB)) < 1e-4)

[<Test>]
let ``1 - IoU is 0 for the same box and 1 for disjoint boxes`` () =
    use _ = new Scope()
    use net = identityNet 4 Activation.Linear (Loss.OneMinusIoU IouForm.Exact)
    let box = [| 0.1; 0.1; 0.5; 0.6 |]
    Assert.That(lossOn net 1 4 box (T.ofFloat32 [| 1L; 4L |] (Array.map float32 box)), Is.EqualTo(0.0).Within(1e-5))
    Assert.That(lossOn net 1 4 box (T.ofFloat32 [| 1L; 4L |] [| 0.6f; 0.7f; 0.9f; 0.9f |]), Is.EqualTo(1.0).Within(1e-6))

/// S7's study form of 1 - IoU in float64, straight from its formula (docs/studies.md):
/// + 1 on every width and height, the overlap not clamped, the IoU clipped to [1e-7, 1 - 1e-7].
let private plusOneLoss (p: float[]) (t: float[]) =
    let inter = (min p[2] t[2] - max p[0] t[0] + 1.0) * (min p[3] t[3] - max p[1] t[1] + 1.0)
    let area (b: float[]) = abs (b[2] - b[0] + 1.0) * abs (b[3] - b[1] + 1.0)
    1.0 - (inter / (area t + area p - inter) |> max 1e-7 |> min (1.0 - 1e-7))

[<FsCheck.NUnit.Property(MaxTest = 60)>]
let ``the study's 1 - IoU (keras-plus-one) matches its formula, and both forms report the exact IoU`` () =
    Prop.forAll (Arb.fromGen boxGen) (fun (a, b) ->
        use _ = new Scope()
        use net = identityNet 4 Activation.Linear (Loss.OneMinusIoU IouForm.KerasPlusOne)
        let loss = lossOn net 1 4 (Array.map float a) (T.ofFloat32 [| 1L; 4L |] b)
        let metric = (net.Statistics true).[0].MeanMetric
        abs (loss - plusOneLoss (Array.map float a) (Array.map float b)) < 1e-5 && abs (metric - Metrics.boxIoU a b) < 1e-5)

[<Test>]
let ``an untrained box net (outputs 0) starts near the study's least-trained 0.79 in the plus-one form, at 1 in the exact one`` () =
    // EXPERIMENTS/docs/studies.md: the study's batch-4096, lr-1e-4 cell (about 60 steps) ends at 0.79.
    let d = Lrbs.Core.Data.Boxes.generate 1 2000

    let targets =
        match d.Targets with
        | Lrbs.Core.Data.Targets.Boxes v -> v
        | _ -> failwith "boxes"

    let n = d.Count

    let onZeros form =
        use _ = new Scope()
        use net = identityNet 4 Activation.Linear (Loss.OneMinusIoU form)
        lossOn net n 4 (Array.zeroCreate (n * 4)) (T.ofFloat32 [| int64 n; 4L |] targets)

    let expected =
        targets |> Array.chunkBySize 4 |> Array.averageBy (fun t -> plusOneLoss [| 0.0; 0.0; 0.0; 0.0 |] (Array.map float t))

    Assert.That(onZeros IouForm.KerasPlusOne, Is.EqualTo(expected).Within(1e-5))
    Assert.That(expected, Is.InRange(0.78, 0.82))
    Assert.That(onZeros IouForm.Exact, Is.EqualTo(1.0).Within(1e-6))

/// Gradients written by hand in the engine against central finite differences of its own loss.
let private checkGradients (spec: ModelSpec) (loss: Loss) (xShape: int64[]) (x: float32[]) (y: unit -> Tensor) =
    use _ = new Scope()
    use net = Network.Create(spec, loss, optimizer "sgd", [| 11UL |], true)
    let weights = net.GetKerasWeights 0

    let lossAt (ws: KerasWeight list) =
        net.SetKerasWeights(0, ws)
        stepOn net xShape x (y ()) 0.0
        (net.LastLoss())[0]

    lossAt weights |> ignore
    let grads = net.GetKerasGradients 0
    let h = 1e-2f
    // the trainable arrays, in the order GetKerasGradients gives theirs (state has no gradient)
    let trainable = net.Arrays |> List.indexed |> List.filter (fun (_, a) -> Role.trainable a.Def.Role) |> List.map fst

    for g, i in List.indexed trainable do
        let w = weights[i]

        let numeric =
            Array.init w.Values.Length (fun j ->
                let at (d: float32) = lossAt (List.updateAt i { w with Values = Array.updateAt j (w.Values[j] + d) w.Values } weights)
                (at h - at -h) / (2.0 * float h))

        assertAllClose 2e-2 5e-4 numeric (grads[g].Values |> Array.map float)

[<TestCase("logits")>]
[<TestCase("clipped")>]
let ``hand-written gradients of an MLP match finite differences`` (form: string) =
    let form =
        match LossForm.parse form with
        | Ok f -> f
        | Error e -> failwith e

    let spec =
        {
            Name = "g"
            Input = Shape.Vector 3
            Layers = [ Layer.Dense(4, Activation.Sigmoid); Layer.Dense(3, Activation.Softmax) ]
        }

    checkGradients spec (Loss.CrossEntropy form) [| 2L; 3L |] [| 0.5f; -1.0f; 2.0f; 1.5f; 0.2f; -0.3f |] (fun () -> T.ofInt64 [| 2L |] [| 2L; 0L |])

[<TestCase("keras-plus-one")>]
[<TestCase("exact")>]
let ``hand-written gradients of both 1 - IoU forms match finite differences`` (form: string) =
    let form =
        match IouForm.parse form with
        | Ok f -> f
        | Error e -> failwith e

    let spec = { Name = "b"; Input = Shape.Vector 3; Layers = [ Layer.Dense(4, Activation.Linear) ] }
    // inputs and boxes chosen so that the predicted and true boxes overlap (the exact form has a gradient)
    let x = [| 0.9f; 0.1f; 0.4f; 0.2f; 0.8f; 0.5f |]
    checkGradients spec (Loss.OneMinusIoU form) [| 2L; 3L |] x (fun () -> T.ofFloat32 [| 2L; 4L |] [| 0.1f; 0.2f; 0.6f; 0.7f; 0.3f; 0.1f; 0.9f; 0.5f |])

[<Test>]
let ``hand-written gradients of conv, pool and flatten match finite differences`` () =
    let spec =
        {
            Name = "c"
            Input = Shape.Image(2, 5, 5)
            Layers =
                [
                    Layer.Conv2D(3, 3, 2, Padding.Same, Activation.Relu)
                    Layer.MaxPool2D 2
                    Layer.Flatten
                    Layer.Dense(2, Activation.Sigmoid)
                ]
        }

    let x = Array.init (2 * 2 * 25) (fun i -> float32 ((i * 37) % 17) / 8.0f - 1.0f)
    checkGradients spec (Loss.BinaryCrossEntropy LossForm.Logits) [| 2L; 2L; 5L; 5L |] x (fun () -> T.ofFloat32 [| 2L; 2L |] [| 1.0f; 0.0f; 0.0f; 1.0f |])

[<Test>]
let ``hand-written gradients of batch normalisation and the average pools match finite differences`` () =
    let spec =
        {
            Name = "bn"
            Input = Shape.Image(2, 6, 6)
            Layers =
                [
                    Layer.Conv2D(3, 3, 1, Padding.Same, Activation.Tanh)
                    Layer.BatchNorm
                    Layer.AveragePool2D 2
                    Layer.Conv2D(2, 3, 1, Padding.Valid, Activation.Relu)
                    Layer.GlobalAveragePool2D
                    Layer.Dense(2, Activation.Sigmoid)
                ]
        }

    let x = Array.init (3 * 2 * 36) (fun i -> float32 ((i * 37) % 17) / 8.0f - 1.0f)

    checkGradients spec (Loss.BinaryCrossEntropy LossForm.Logits) [| 3L; 2L; 6L; 6L |] x (fun () ->
        T.ofFloat32 [| 3L; 2L |] [| 1.0f; 0.0f; 0.0f; 1.0f; 1.0f; 1.0f |])

[<Test>]
let ``hand-written gradients of batch normalisation on vectors match finite differences`` () =
    let spec =
        {
            Name = "bnv"
            Input = Shape.Vector 3
            Layers = [ Layer.Dense(4, Activation.Tanh); Layer.BatchNorm; Layer.Dense(3, Activation.Softmax) ]
        }

    let x = Array.init 15 (fun i -> float32 ((i * 29) % 13) / 6.0f - 1.0f)
    checkGradients spec (Loss.CrossEntropy LossForm.Logits) [| 5L; 3L |] x (fun () -> T.ofInt64 [| 5L |] [| 2L; 0L; 1L; 1L; 0L |])

[<TestCase("tanh")>]
[<TestCase("leaky_relu")>]
[<TestCase("elu")>]
[<TestCase("gelu")>]
let ``hand-written gradients of each activation match finite differences`` (activation: string) =
    let spec =
        { Name = "a"; Input = Shape.Vector 3; Layers = [ Layer.Dense(4, activation); Layer.Dense(3, Activation.Softmax) ] }

    checkGradients spec (Loss.CrossEntropy LossForm.Logits) [| 2L; 3L |] [| 0.5f; -1.0f; 2.0f; 1.5f; 0.2f; -0.3f |] (fun () -> T.ofInt64 [| 2L |] [| 2L; 0L |])

[<Test>]
let ``dropout draws its masks from the trial's own generator, only while training`` () =
    let spec =
        {
            Name = "d"
            Input = Shape.Vector 8
            Layers = [ Layer.Dense(16, Activation.Relu); Layer.Dropout 0.5; Layer.Dense(3, Activation.Softmax) ]
        }

    let losses seed =
        use _ = new Scope()
        use net = Network.Create(spec, Loss.CrossEntropy LossForm.Logits, optimizer "sgd", [| seed |], true)

        [
            for _ in 1..5 ->
                stepOn net [| 4L; 8L |] (Array.init 32 (fun i -> float32 (i % 5) / 5.0f)) (T.ofInt64 [| 4L |] [| 0L; 1L; 2L; 1L |]) 0.0
                (net.LastLoss())[0]
        ]

    let a = losses 3UL
    assertEq a (losses 3UL)
    Assert.That(List.distinct a |> List.length, Is.GreaterThan 1, "masks change from step to step at lr 0")
    Assert.That(losses 4UL <> a, Is.True)

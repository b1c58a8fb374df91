module Lrbs.Tests.ModelTests

open System
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Tests.Support
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses

let private count name input head = Catalog.build name input head |> Result.bind ModelSpec.parameterCount

[<Test>]
let ``S7 box CNN has 16,656 parameters`` () = assertEq (Ok 16656) (count "cnn-box" (Shape.Image(1, 128, 128)) Catalog.Box)

[<Test>]
let ``the MLPs and the S4 CNN have Keras's parameter counts`` () =
    assertEq (Ok 84060) (count "mlp-100-50" (Shape.Image(1, 28, 28)) (Catalog.Classes 10))
    assertEq (Ok 108060) (count "mlp-100-50" (Shape.Image(1, 32, 32)) (Catalog.Classes 10))
    assertEq (Ok 24593) (count "mlp-200-90-50-sigmoid" (Shape.Vector 8) (Catalog.Classes 3))
    assertEq (Ok 99395) (count "cnn-animals" (Shape.Image(3, 32, 32)) (Catalog.Classes 3))

[<Test>]
let ``an unknown model or a layer that does not fit is an error naming it`` () =
    match Catalog.build "resnet" (Shape.Vector 8) (Catalog.Classes 3) with
    | Error e ->
        StringAssert.Contains("unknown model 'resnet'", e)
        StringAssert.Contains("mlp-100-50", e)
    | Ok _ -> Assert.Fail "expected an error"

    match Catalog.build "cnn-animals" (Shape.Vector 8) (Catalog.Classes 3) with
    | Error e -> StringAssert.Contains("needs an image input", e)
    | Ok _ -> Assert.Fail "expected an error"

[<TestCase(5, 3, 1, 5, 1, 1)>]
[<TestCase(5, 3, 2, 3, 1, 1)>]
[<TestCase(6, 3, 2, 3, 0, 1)>]
[<TestCase(4, 2, 1, 4, 0, 1)>]
let ``same padding follows TensorFlow, extra padding at the end`` (size, kernel, stride, out, before, after) =
    Assert.That(ModelSpec.convAxis Padding.Same size kernel stride, Is.EqualTo((out, (before, after))))

[<Test>]
let ``valid padding output size`` () =
    Assert.That(fst (ModelSpec.convAxis Padding.Valid 32 3 1), Is.EqualTo 30)
    Assert.That(fst (ModelSpec.convAxis Padding.Valid 7 3 2), Is.EqualTo 3)

let private mlp =
    {
        Name = "m"
        Input = Shape.Vector 20
        Layers = [ Layer.Dense(30, Activation.Relu); Layer.Dense(5, Activation.Softmax) ]
    }

let private ce = Loss.CrossEntropy LossForm.Logits
let private iou = Loss.OneMinusIoU IouForm.KerasPlusOne

[<Test>]
let ``initialisation is glorot_uniform with zero biases and depends only on the seed`` () =
    use a = Network.Create(mlp, ce, optimizer "sgd", [| 5UL |], true)
    use b = Network.Create(mlp, ce, optimizer "sgd", [| 5UL |], true)
    use c = Network.Create(mlp, ce, optimizer "sgd", [| 6UL |], true)
    let wa, wb, wc = a.GetKerasWeights 0, b.GetKerasWeights 0, c.GetKerasWeights 0
    assertEq (wb |> List.map (fun w -> w.Values)) (wa |> List.map (fun w -> w.Values))
    Assert.That(wa[0].Values <> wc[0].Values, Is.True)
    let limit = float32 (sqrt (6.0 / 50.0))
    assertEq [| 20; 30 |] (wa[0].Shape)
    Assert.That(wa[0].Values |> Array.forall (fun v -> abs v <= limit), Is.True)
    Assert.That(wa[0].Values |> Array.map abs |> Array.average, Is.EqualTo(limit / 2.0f).Within(0.1f * limit))
    Assert.That(wa[1].Values |> Array.forall ((=) 0.0f), Is.True)

[<Test>]
let ``each member of a net is initialised from its own seed`` () =
    use pack = Network.Create(mlp, ce, optimizer "sgd", [| 5UL; 6UL |], false)
    use alone = Network.Create(mlp, ce, optimizer "sgd", [| 6UL |], true)
    assertEq ((alone.GetKerasWeights 0).[0].Values) ((pack.GetKerasWeights 1).[0].Values)

[<Test>]
let ``conv fans include the receptive field`` () =
    let spec =
        {
            Name = "c"
            Input = Shape.Image(3, 8, 8)
            Layers = [ Layer.Conv2D(16, 3, 1, Padding.Same, Activation.Relu); Layer.Flatten; Layer.Dense(4, Activation.Linear) ]
        }

    use net = network spec iou "sgd"
    let k = (net.GetKerasWeights 0).[0]
    assertEq [| 3; 3; 3; 16 |] (k.Shape)
    let limit = float32 (sqrt (6.0 / float (3 * 9 + 16 * 9)))
    Assert.That(k.Values |> Array.map abs |> Array.max, Is.LessThanOrEqualTo limit)
    Assert.That(k.Values |> Array.map abs |> Array.max, Is.GreaterThan(0.9f * limit))

/// A Dense(4, linear) after `features` inputs that copies them to its first outputs.
let private copyOut features =
    [
        {
            Name = "k"
            Shape = [| features; 4 |]
            Values = Array.init (features * 4) (fun i -> if i / 4 = i % 4 then 1.0f else 0.0f)
        }
        { Name = "b"; Shape = [| 4 |]; Values = Array.zeroCreate 4 }
    ]

[<Test>]
let ``a Keras-layout conv kernel computes Keras's cross-correlation`` () =
    // input 2 channels 3x3, kernel (kh=3, kw=3, in=2, out=2), valid padding: one output pixel per filter.
    let spec =
        {
            Name = "c"
            Input = Shape.Image(2, 3, 3)
            Layers = [ Layer.Conv2D(2, 3, 1, Padding.Valid, Activation.Linear); Layer.Flatten; Layer.Dense(4, Activation.Linear) ]
        }

    use net = network spec iou "sgd"
    let kernel = Array.init (3 * 3 * 2 * 2) (fun i -> float32 i / 10.0f)

    net.SetKerasWeights(
        0,
        [
            { Name = "k"; Shape = [| 3; 3; 2; 2 |]; Values = kernel }
            { Name = "b"; Shape = [| 2 |]; Values = [| 0.5f; -0.5f |] }
        ]
        @ copyOut 2
    )

    let x = Array.init 18 (fun i -> float32 (i + 1)) // NCHW: channel c, row r, col q at c*9 + r*3 + q
    let out = predict net [| 1L; 2L; 3L; 3L |] x

    let expected f =
        0.5f * (if f = 0 then 1.0f else -1.0f)
        + Seq.sum
            [
                for r in 0..2 do
                    for q in 0..2 do
                        for c in 0..1 -> kernel[((r * 3 + q) * 2 + c) * 2 + f] * x[c * 9 + r * 3 + q]
            ]

    Assert.That(out[0], Is.EqualTo(expected 0).Within(1e-3f))
    Assert.That(out[1], Is.EqualTo(expected 1).Within(1e-3f))
    assertEq kernel (net.GetKerasWeights 0).[0].Values

[<Test>]
let ``Flatten uses Keras's channels-last order`` () =
    let spec = { Name = "f"; Input = Shape.Image(2, 1, 2); Layers = [ Layer.Flatten; Layer.Dense(4, Activation.Linear) ] }
    use net = network spec iou "sgd"
    net.SetKerasWeights(0, copyOut 4)
    // NCHW values: c0 = [1, 2], c1 = [10, 20]  ->  NHWC flatten: [1, 10, 2, 20]
    assertEq [| 1.0f; 10.0f; 2.0f; 20.0f |] (predict net [| 1L; 2L; 1L; 2L |] [| 1.0f; 2.0f; 10.0f; 20.0f |])

/// Max-pool 2x2 as the scalar rule: the first of each window, replaced by a larger value or a NaN;
/// in the engine's Flatten order (channels last).
let private pool2x2 (channels: int) (h: int) (w: int) (x: float32[]) =
    let oh, ow = h / 2, w / 2

    let planes =
        [|
            for c in 0 .. channels - 1 do
                for oy in 0 .. oh - 1 do
                    for ox in 0 .. ow - 1 ->
                        let at dy dx = x[(c * h + 2 * oy + dy) * w + 2 * ox + dx]
                        [ at 0 1; at 1 0; at 1 1 ] |> List.fold (fun best v -> if v > best || Single.IsNaN v then v else best) (at 0 0)
        |]

    Array.init planes.Length (fun i -> planes[(i % channels) * oh * ow + i / channels])

[<FsCheck.NUnit.Property(MaxTest = 60)>]
let ``max-pool keeps each window's largest value at every width, ties and signed zeros included`` () =
    // values with many ties; a Dense after the pool copies its outputs out (NaN would spread there)
    let value =
        Gen.frequency [ 3, Gen.choose (-1000, 1000) |> Gen.map (fun i -> float32 i / 100.0f); 2, Gen.elements [ 0.0f; -0.0f; 1.0f ] ]

    let case =
        gen {
            let! channels = Gen.choose (1, 3)
            let! h = Gen.choose (1, 3) |> Gen.map ((*) 2)
            let! w = Gen.choose (2, 41) // 1 to 20 windows a row: the 8-wide kernel, its tail, or the tail alone
            let! x = Gen.arrayOfLength (channels * h * w) value
            return channels, h, w, x
        }

    Prop.forAll (Arb.fromGen case) (fun (channels, h, w, x) ->
        let features = channels * (h / 2) * (w / 2)

        let spec =
            {
                Name = "p"
                Input = Shape.Image(channels, h, w)
                Layers = [ Layer.MaxPool2D 2; Layer.Flatten; Layer.Dense(features, Activation.Linear) ]
            }

        use net = network spec Loss.MeanSquaredError "sgd"

        net.SetKerasWeights(
            0,
            [
                {
                    Name = "k"
                    Shape = [| features; features |]
                    Values = Array.init (features * features) (fun i -> if i / features = i % features then 1.0f else 0.0f)
                }
                { Name = "b"; Shape = [| features |]; Values = Array.zeroCreate features }
            ]
        )

        predict net [| 1L; int64 channels; int64 h; int64 w |] x = pool2x2 channels h w x)

[<TestCase("boxes", "cnn-box")>]
[<TestCase("fashion-mnist", "cnn-small")>]
let ``max-pooling's vector kernel trains exactly as the scalar loop: same losses and metrics, bit for bit`` (dataset: string, model: string) =
    // binary box images and ReLU zeros give pooling windows full of ties; 28 -> 14 -> 7 runs the kernel's tail
    let c =
        trial
            [
                "dataset", dataset
                "model", model
                "optimizer", "adam"
                "lr", "0.003"
                "batch_size", "32"
                "train_limit", "320"
                "max_epochs", "2"
            ]

    let d = prepared c

    let run vector =
        let previous = Runtime.vectorPooling vector

        try
            Lrbs.Core.Training.Trainer.run c d Lrbs.Core.Training.Progress.None
        finally
            Runtime.vectorPooling previous |> ignore

    let scalar, vector = run false, run true
    let curve (r: Lrbs.Core.Training.TrialResult) = r.Epochs |> List.map (fun e -> e.TrainLoss, e.TestMetric, e.TestLoss)
    Assert.That((curve vector = curve scalar), Is.True, $"%A{curve vector} against %A{curve scalar}")
    Assert.That(scalar.Epochs.Head.TrainLoss, Is.Not.NaN)

/// Dense layers of one member through the direct kernels (BLAS's sgemm_ and plain loops) and
/// through ATen's operations train the same trial to the same bits: batch 1, 4, 8 and 16 (a last
/// partial batch of 2), ReLU, sigmoid, a softmax head and a linear box head, SGD and Adam. The
/// direct path must have run.
[<TestCase("fashion-mnist", "mlp-100-50", "sgd", 1, 60)>]
[<TestCase("fashion-mnist", "mlp-100-50", "sgd", 4, 322)>]
[<TestCase("fashion-mnist", "mlp-100-50", "adam", 16, 320)>]
[<TestCase("fashion-mnist", "mlp-200-90-50-sigmoid", "sgd", 8, 322)>]
[<TestCase("boxes", "cnn-box", "adam", 4, 96)>]
let ``Dense layers train exactly as ATen's operations through the direct kernels, bit for bit``
    (dataset: string, model: string, opt: string, batch: int, rows: int)
    =
    let c =
        trial
            [
                "dataset", dataset
                "model", model
                "optimizer", opt
                "lr", (if opt = "adam" then "0.003" else "0.05")
                "batch_size", string batch
                "train_limit", string rows
                "max_epochs", "2"
            ]

    let d = prepared c

    let run direct =
        let previous = Runtime.directDense direct

        try
            let before = Runtime.directDensePasses ()
            let r = Lrbs.Core.Training.Trainer.run c d Lrbs.Core.Training.Progress.None
            r, Runtime.directDensePasses () - before
        finally
            Runtime.directDense previous |> ignore

    let (aten, atenPasses), (direct, directPasses) = run false, run true
    let curve (r: Lrbs.Core.Training.TrialResult) = r.Epochs |> List.map (fun e -> e.TrainLoss, e.TestMetric, e.TestLoss)
    Assert.That((curve direct = curve aten), Is.True, $"%A{curve direct} against %A{curve aten}")
    Assert.That(aten.Epochs.Head.TrainLoss, Is.Not.NaN)
    Assert.That(atenPasses, Is.EqualTo 0L, "with the direct kernels off, none ran")
    Assert.That(directPasses, Is.GreaterThanOrEqualTo(int64 (2 * rows / batch)), "the direct kernels ran every step")

/// A narrow convolution's outputs and gradients through the direct kernel and through ATen's
/// im2col kernels, on random rows: same shapes, values equal to float32 rounding.
[<TestCase(1, 4, 3, 1, "same", 1)>]
[<TestCase(4, 4, 3, 1, "same", 2)>]
[<TestCase(3, 2, 3, 2, "same", 1)>]
[<TestCase(2, 3, 5, 1, "valid", 3)>]
[<TestCase(2, 8, 1, 1, "valid", 1)>]
let ``the direct narrow convolution computes what ATen's kernels compute, forward and both gradients``
    (channels: int, filters: int, kernel: int, stride: int, padding: string, members: int)
    =
    let spec =
        {
            Name = "c"
            Input = Shape.Image(channels, 9, 11)
            Layers =
                [
                    Layer.Conv2D(filters, kernel, stride, (if padding = "same" then Padding.Same else Padding.Valid), Activation.Tanh)
                    Layer.Flatten
                    Layer.Dense(3, Activation.Softmax)
                ]
        }

    let n = 6
    let rng = Lrbs.Core.Engine.Rng(7UL)
    let x = Array.init (n * channels * 99) (fun _ -> float32 (rng.NextDouble() - 0.5))

    let train direct =
        let previous = Runtime.directConv direct

        try
            use _ = new Scope()

            use net =
                Network.Create(spec, Loss.CrossEntropy LossForm.Logits, optimizer "sgd", Array.init members (fun k -> uint64 (k + 1)), (members = 1))

            let xs = T.ofFloat32 [| int64 n; int64 channels; 9L; 11L |] x
            let ys = T.ofInt64 [| int64 n |] (Array.init n (fun i -> int64 (i % 3)))

            let order =
                if members = 1 then
                    None
                else
                    Some(T.ofInt64 [| int64 members; int64 n |] (Array.init (members * n) (fun i -> int64 ((i * 5 + i / n) % n))))

            for start in [ 0; 3 ] do
                Lrbs.Core.Training.Step.run net { X = xs; Y = ys; Order = order } start 3 (Array.create members 0.1) 0

            [
                for k in 0 .. members - 1 do
                    for w in net.GetKerasWeights k -> w.Values
            ]
        finally
            Runtime.directConv previous |> ignore

    let direct, im2col = train true, train false
    List.iter2 (fun (a: float32[]) (b: float32[]) -> assertAllClose 1e-5 1e-6 (Array.map float a) (Array.map float b)) direct im2col

[<Test>]
let ``max-pool keeps each window's largest value and dropout is off when evaluating`` () =
    let spec =
        {
            Name = "d"
            Input = Shape.Image(1, 4, 4)
            Layers = [ Layer.MaxPool2D 2; Layer.Flatten; Layer.Dropout 0.5; Layer.Dense(4, Activation.Linear) ]
        }

    use net = network spec iou "sgd"
    net.SetKerasWeights(0, copyOut 4)
    let x = Array.init 16 (fun i -> float32 i + 1.0f)
    assertEq [| 6.0f; 8.0f; 14.0f; 16.0f |] (predict net [| 1L; 1L; 4L; 4L |] x)
    assertEq [| 6.0f; 8.0f; 14.0f; 16.0f |] (predict net [| 1L; 1L; 4L; 4L |] x)

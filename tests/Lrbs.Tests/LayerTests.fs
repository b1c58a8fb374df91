/// Layers and optimizers from their registries: the engine agrees with the definitions, batch
/// normalisation's statistics, weight decay's neutral point, and models declared in files.
module Lrbs.Tests.LayerTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Tests.Support
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers
open Lrbs.Core.Training

[<Test>]
let ``the engine registers exactly the layers, activations, losses and optimizers defined here, with the same struct layouts`` () =
    // Network.CheckEngine compares names, ABI offsets and each optimizer's state slots; it raises on any difference
    Assert.DoesNotThrow(fun () -> Network.CheckEngine())
    Assert.That(LayerRegistry.names, Does.Contain "batch_norm")
    Assert.That(Kinds.all |> List.map (fun k -> k.Name), Does.Contain "lamb")

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``batch normalisation in training gives each feature mean 0 and variance 1 before gamma and beta`` () =
    let gen =
        gen {
            let! n = Gen.choose (2, 9)
            let! f = Gen.choose (1, 4)
            let! x = Gen.arrayOfLength (n * f) (Gen.choose (-3000, 3000) |> Gen.map (fun v -> float32 v / 1000.0f))
            return n, f, x
        }

    Prop.forAll (Arb.fromGen gen) (fun (n, f, x) ->
        use _ = new Scope()
        // batch_norm, then an identity Dense, trained on targets 0 with mean squared error at lr 0:
        // the loss is mean(xhat^2) and beta's gradient is 2 sum(xhat) / (n f)
        let spec = { Name = "bn"; Input = Shape.Vector f; Layers = [ Layer.BatchNorm; Layer.Dense(f, Activation.Linear) ] }
        use net = network spec Loss.MeanSquaredError "sgd"
        let ws = net.GetKerasWeights 0
        let identity = Array.init (f * f) (fun i -> if i / f = i % f then 1.0f else 0.0f)
        net.SetKerasWeights(0, ws |> List.map (fun w -> if w.Name.EndsWith "/kernel" then { w with Values = identity } else w))
        stepOn net [| int64 n; int64 f |] x (T.ofFloat32 [| int64 n; int64 f |] (Array.zeroCreate (n * f))) 0.0
        let columns = Array.init f (fun j -> Array.init n (fun i -> float x[i * f + j]))

        let expected =
            columns
            |> Array.averageBy (fun c ->
                let mean = Array.average c
                let var = c |> Array.averageBy (fun v -> (v - mean) ** 2.0)
                var / (var + 1e-3))

        let beta = (List.item 1 (net.GetKerasGradients 0)).Values
        abs ((net.LastLoss())[0] - expected) < 1e-4 * max 1.0 expected && beta |> Array.forall (fun b -> abs b < 1e-5f))

[<Test>]
let ``batch normalisation moves its moving statistics in training only, and evaluation uses them`` () =
    use _ = new Scope()
    let spec = { Name = "bn"; Input = Shape.Vector 2; Layers = [ Layer.BatchNorm; Layer.Dense(2, Activation.Softmax) ] }
    use net = network spec (Loss.CrossEntropy LossForm.Logits) "sgd"
    let x = [| 1.0f; 10.0f; 3.0f; 20.0f |]
    stepOn net [| 2L; 2L |] x (T.ofInt64 [| 2L |] [| 0L; 1L |]) 0.0
    let find (suffix: string) = (net.GetKerasWeights 0 |> List.find (fun w -> w.Name.EndsWith suffix)).Values
    // m = 0 * 0.99 + batch mean * 0.01; v = 1 * 0.99 + biased batch variance * 0.01
    assertAllClose 1e-6 1e-7 [| 0.02; 0.15 |] (find "moving_mean" |> Array.map float)
    assertAllClose 1e-6 1e-7 [| 0.99 + 0.01; 0.99 + 0.25 |] (find "moving_variance" |> Array.map float)
    let before = find "moving_mean"
    predict net [| 2L; 2L |] x |> ignore
    assertEq before (find "moving_mean")

[<FsCheck.NUnit.Property(MaxTest = 20)>]
let ``AdamW with weight decay 0 is Adam, and SGD's weight decay of 0 changes nothing`` () =
    Prop.forAll
        (Arb.fromGen (Gen.zip (Gen.elements [ ("adam", "adamw"); ("sgd", "sgd"); ("sgd-momentum", "sgd-momentum") ]) (Gen.choose (0, 100))))
        (fun ((plain, decayed), seed) ->
            use _ = new Scope()

            let spec =
                { Name = "o"; Input = Shape.Vector 6; Layers = [ Layer.Dense(5, Activation.Relu); Layer.Dense(3, Activation.Softmax) ] }

            let train (o: OptimizerSpec) =
                use net = Network.Create(spec, Loss.CrossEntropy LossForm.Logits, o, [| uint64 seed |], true)

                for lr in [ 0.1; 0.05; 0.01 ] do
                    stepOn net [| 4L; 6L |] (Array.init 24 (fun i -> float32 ((i * 7 + seed) % 11) / 5.0f)) (T.ofInt64 [| 4L |] [| 0L; 2L; 1L; 2L |]) lr

                net.GetKerasWeights 0 |> List.map (fun w -> w.Values)

            train (OptimizerOracle.optimizerWith plain []) = train (OptimizerOracle.optimizerWith decayed [ "weight_decay", 0.0 ]))

[<Test>]
let ``weight decay shrinks the weights by lr wd w before the update`` () =
    use _ = new Scope()
    // one step at gradient 0 (a zero input and a loss at its minimum is hard to arrange; use the oracle on the engine's gradient)
    let spec = { Name = "o"; Input = Shape.Vector 2; Layers = [ Layer.Dense(2, Activation.Softmax) ] }

    use net =
        Network.Create(spec, Loss.CrossEntropy LossForm.Logits, OptimizerOracle.optimizerWith "sgd" [ "weight_decay", 0.5 ], [| 3UL |], true)

    let w0 = (List.head (net.GetKerasWeights 0)).Values |> Array.map float
    stepOn net [| 1L; 2L |] [| 0.0f; 0.0f |] (T.ofInt64 [| 1L |] [| 0L |]) 0.1
    // a zero input gives the kernel a zero gradient: only the decay moves it, w (1 - 0.1 0.5)
    assertAllClose 1e-6 1e-8 (w0 |> Array.map (fun w -> w * 0.95)) ((List.head (net.GetKerasWeights 0)).Values |> Array.map float)

let private definition (yaml: string) =
    use tmp = new TempDir()
    let file = Path.Combine(tmp.Path, "net.yaml")
    File.WriteAllText(file, yaml)

    try
        Ok(Lrbs.Host.Sweeps.ModelFiles.Load file)
    with :? Lrbs.Host.Sweeps.ModelFileException as e ->
        Error e.Message

[<Test>]
let ``a model file becomes a trial whose id covers its layers, not its name or file`` () =
    let a =
        definition "name: a\nlayers:\n  - flatten\n  - dense: {units: 32, activation: relu}\n  - dense: {units: 10, activation: softmax}\n"

    let b =
        definition
            "model:\n  name: b\n  layers:\n    - flatten: {}\n    - dense: {activation: relu, units: 32}\n    - dense: {units: 10, activation: softmax}\n"

    let c =
        definition "name: a\nlayers:\n  - flatten\n  - dense: {units: 33, activation: relu}\n  - dense: {units: 10, activation: softmax}\n"

    let id (m: Result<string, string>) =
        match m with
        | Ok json -> TrialConfig.id (trial [ "dataset", "fashion-mnist"; "model", json ])
        | Error e -> failwith e

    Assert.That(id a, Is.EqualTo(id b))
    Assert.That(id a, Is.Not.EqualTo(id c))
    let t = trial [ "dataset", "fashion-mnist"; "model", Result.defaultValue "" a ]
    Assert.That(t.Model, Is.EqualTo "a")
    StringAssert.Contains("layers: flatten(); dense(activation=relu, units=32)", (TrialConfig.values t |> List.find (fun (k, _) -> k = "model") |> snd))

[<Test>]
let ``a bad model file names the file, the line and column, the layer's number from 1 and the key`` () =
    let expectError (yaml: string) (parts: string list) =
        match definition yaml with
        | Ok _ -> Assert.Fail $"expected an error for:\n{yaml}"
        | Error e ->
            for p in parts do
                StringAssert.Contains(p, e)

    expectError
        "name: x\nlayers:\n  - dense: {units: 10}\n  - batchnorm: {}\n"
        [ "net.yaml:4:5: layer 2 of 2"; "unknown layer 'batchnorm'"; "did you mean 'batch_norm'" ]

    expectError
        "name: x\nlayers:\n  - conv2d: {filters: 4, kernal: 3}\n"
        [ "net.yaml:3:26: layer 1 of 1 (conv2d)"; "unknown key 'kernal'"; "did you mean 'kernel'" ]

    expectError "name: x\nlayers:\n  - conv2d: {filters: 4}\n" [ "net.yaml:3:5: layer 1 of 1 (conv2d)"; "missing key 'kernel'" ]
    expectError "name: x\nlayers:\n  - dropout: 1.5\n" [ "net.yaml:3:5: layer 1 of 1 (dropout)"; "key 'rate'"; "[0, 1)" ]
    expectError "name: x\nlayers:\n  - dense: {units: 4, activation: relu, alpha: 0.1}\n" [ "net.yaml:3:41: layer 1 of 1 (dense)"; "key 'alpha'"; "leaky_relu" ]
    expectError "name: x\nlayers:\n  - dense: {units: 4, activation: swish}\n" [ "net.yaml:3:23"; "unknown activation 'swish'" ]
    // every problem at once, each on its own line, in one message with one path per problem
    expectError
        "name: x\nlayers:\n  - flatten\n  - dense: {units: 4, kernal: 3}\n  - conv2d: {filters: 4, kernal: 3}\n"
        [
            "2 problems in"
            "net.yaml:4:23: layer 2 of 3 (dense): unknown key 'kernal'"
            "net.yaml:5:26: layer 3 of 3 (conv2d): unknown key 'kernal'"
        ]

    expectError "layers:\n  - flatten\n" [ "missing key 'name'" ]

[<Test>]
let ``a model that does not fit its dataset is refused naming the layer`` () =
    let check (layers: Layer list) (head: Catalog.Head) =
        let d: ModelFile.Definition = { Name = "m"; Layers = layers }
        let c = trial [ "dataset", "fashion-mnist"; "model", ModelFile.toJson d ]
        TrialConfig.modelSpec c (Shape.Image(1, 28, 28)) head

    match check [ Layer.Dense(10, Activation.Softmax) ] (Catalog.Classes 10) with
    | Error e -> StringAssert.Contains("layer 0 (dense): needs a flat input", e)
    | Ok _ -> Assert.Fail "expected an error"

    match check [ Layer.Flatten; Layer.Dense(9, Activation.Softmax) ] (Catalog.Classes 10) with
    | Error e ->
        StringAssert.Contains("layer 1 (dense, units 9, activation softmax)", e)
        StringAssert.Contains("units 10 and activation softmax", e)
    | Ok _ -> Assert.Fail "expected an error"

    match
        check
            [
                Layer.MaxPool2D 2
                Layer.MaxPool2D 2
                Layer.MaxPool2D 2
                Layer.MaxPool2D 2
                Layer.MaxPool2D 2
                Layer.Flatten
                Layer.Dense(10, Activation.Softmax)
            ]
            (Catalog.Classes 10)
    with
    | Error e ->
        StringAssert.Contains("layer 4 (max_pool2d)", e)
        StringAssert.Contains("below one pixel", e)
    | Ok _ -> Assert.Fail "expected an error"

    match check [ Layer.Flatten; Layer.Dense(4, Activation.Linear) ] Catalog.Box with
    | Ok _ -> ()
    | Error e -> Assert.Fail e

[<Test>]
let ``the summary counts S7's box CNN at 16,656 parameters and batch normalisation's state apart`` () =
    let cnn = Catalog.build "cnn-box" (Shape.Image(1, 128, 128)) Catalog.Box |> Result.bind ModelSpec.summary

    match cnn with
    | Ok lines ->
        Assert.That(lines, Does.Contain "Total params: 16,656")
        Assert.That(lines, Does.Contain "Non-trainable params: 0")
    | Error e -> Assert.Fail e

    let bn =
        {
            Name = "bn"
            Input = Shape.Image(3, 8, 8)
            Layers =
                [
                    Layer.Conv2D(4, 3, 1, Padding.Same, Activation.Relu)
                    Layer.BatchNorm
                    Layer.GlobalAveragePool2D
                    Layer.Dense(2, Activation.Softmax)
                ]
        }

    match ModelSpec.summary bn with
    // conv 3*3*3*4 + 4 = 112; batch_norm 4 x 4 = 16 (8 trainable); dense 4*2 + 2 = 10
    | Ok lines ->
        Assert.That(lines, Does.Contain "Total params: 138")
        Assert.That(lines, Does.Contain "Non-trainable params: 8")
    | Error e -> Assert.Fail e

module Lrbs.Tests.OptimizerTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers
open Lrbs.Tests.Support
open Lrbs.Core.Training
open Lrbs.Tests.OptimizerOracle

/// The float64 update rules (OptimizerOracle) applied to the gradients the engine reports.
let private oracleStep (spec: OptimizerSpec) =
    let mutable sgdBuffers: float[] list = []
    let mutable adamStates: AdamState list = []

    fun (lr: float) (weights: float[] list) (grads: float[] list) ->
        match spec.Kind.Name with
        | "sgd" ->
            if sgdBuffers.IsEmpty then
                sgdBuffers <- weights |> List.map (fun w -> Array.zeroCreate w.Length)

            let next = List.map3 (fun b w g -> sgd spec lr b w g) sgdBuffers weights grads
            sgdBuffers <- next |> List.map snd
            next |> List.map fst
        | "adam"
        | "adamw" ->
            if adamStates.IsEmpty then
                adamStates <- weights |> List.map (fun w -> adamInit w.Length)

            let next = List.map3 (fun s w g -> adam spec lr s w g) adamStates weights grads
            adamStates <- next |> List.map snd
            next |> List.map fst
        | other -> failwith $"no F# oracle for {other}: the parity matrix checks it against the Python oracle"

let private names = [ "sgd"; "sgd-momentum"; "sgd-nesterov"; "sgd-momentum-torch"; "adam"; "adam-bias-corrected"; "adamw" ]

let private caseGen =
    gen {
        let! name = Gen.elements names
        let! lrs = Gen.listOfLength 4 (Gen.elements [ 0.001; 0.01; 0.1 ])
        let! seed = Gen.choose (0, 1000)
        return name, lrs, uint64 seed
    }

let private spec =
    { Name = "o"; Input = Shape.Vector 6; Layers = [ Layer.Dense(5, Activation.Relu); Layer.Dense(3, Activation.Softmax) ] }

let private xs = Array.init 24 (fun i -> float32 ((i * 7) % 11) / 11.0f - 0.3f)

[<FsCheck.NUnit.Property(MaxTest = 40)>]
let ``the native in-place updates match the float64 rules on the engine's own gradients`` () =
    Prop.forAll (Arb.fromGen caseGen) (fun (name, lrs, seed) ->
        use _ = new Scope()
        use net = Network.Create(spec, Loss.CrossEntropy LossForm.Logits, optimizer name, [| seed |], true)
        let rule = oracleStep (optimizer name)
        let mutable expected = net.GetKerasWeights 0 |> List.map (fun w -> w.Values |> Array.map float)
        let y = T.ofInt64 [| 4L |] [| 0L; 2L; 1L; 2L |]

        for lr in lrs do
            stepOn net [| 4L; 6L |] xs y lr
            expected <- rule lr expected (net.GetKerasGradients 0 |> List.map (fun g -> g.Values |> Array.map float))
            // continue the oracle from the engine's weights, so float32 rounding does not accumulate
            let actual = net.GetKerasWeights 0 |> List.map (fun w -> w.Values |> Array.map float)
            List.iter2 (assertAllClose 1e-4 2e-6) expected actual
            expected <- actual

        true)

[<FsCheck.NUnit.Property(MaxTest = 20)>]
let ``members of one net with different learning rates update as they would alone`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.elements names) (Gen.listOfLength 3 (Gen.elements [ 0.001; 0.01; 0.1 ])))) (fun (name, lrs) ->
        use _ = new Scope()
        let y = T.ofInt64 [| 4L |] [| 0L; 2L; 1L; 2L |]
        use pack = Network.Create(spec, Loss.CrossEntropy LossForm.Logits, optimizer name, [| 7UL; 7UL; 7UL |], true)

        let alone =
            lrs |> List.map (fun _ -> Network.Create(spec, Loss.CrossEntropy LossForm.Logits, optimizer name, [| 7UL |], true))

        for _ in 1..3 do
            Step.run pack { X = T.ofFloat32 [| 4L; 6L |] xs; Y = y; Order = None } 0 4 (Array.ofList lrs) 0
            List.iter2 (fun (n: Network) lr -> stepOn n [| 4L; 6L |] xs y lr) alone lrs

        alone
        |> List.iteri (fun k n ->
            List.iter2
                (fun (a: KerasWeight) (b: KerasWeight) -> assertAllClose 1e-5 1e-7 (Array.map float a.Values) (Array.map float b.Values))
                (n.GetKerasWeights 0)
                (pack.GetKerasWeights k)

            (n :> System.IDisposable).Dispose())

        true)

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``the fused CPU update loops and the ATen sequence agree`` () =
    Prop.forAll (Arb.fromGen (Gen.zip caseGen (Gen.elements [ 1; 3 ]))) (fun ((name, lrs, seed), members) ->
        use _ = new Scope()
        let y = T.ofInt64 [| 4L |] [| 0L; 2L; 1L; 2L |]

        let run fused =
            let previous = Runtime.fusedUpdates fused

            try
                use net =
                    Network.Create(spec, Loss.CrossEntropy LossForm.Logits, optimizer name, Array.init members (fun k -> seed + uint64 k), true)

                for lr in lrs do
                    Step.run net { X = T.ofFloat32 [| 4L; 6L |] xs; Y = y; Order = None } 0 4 (Array.init members (fun k -> lr * float (k + 1))) 0

                [
                    for k in 0 .. members - 1 do
                        yield! net.GetKerasWeights k |> List.collect (fun w -> List.ofArray w.Values)
                ]
            finally
                Runtime.fusedUpdates previous |> ignore

        let a, b = run true, run false
        List.forall2 (fun (x: float32) y -> abs (x - y) <= 1e-6f + 1e-5f * abs y) a b)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``plain SGD is linear in the gradient`` () =
    let value = Gen.choose (-1000, 1000) |> Gen.map (fun v -> float v / 1000.0)
    let gen3 = Gen.choose (1, 6) |> Gen.bind (fun n -> Gen.three (Gen.arrayOfLength n value))

    Prop.forAll (Arb.fromGen (Gen.zip gen3 (Gen.two (Gen.elements [ -2.0; 0.5; 3.0 ])))) (fun ((w, g1, g2), (a, b)) ->
        let delta g = Array.map2 (-) (fst (sgd (optimizerWith "sgd" []) 0.1 [||] w g)) w
        let combined = delta (Array.map2 (fun x y -> a * x + b * y) g1 g2)
        let separate = Array.map2 (fun x y -> a * x + b * y) (delta g1) (delta g2)
        Array.forall2 (fun x y -> abs (x - y) < 1e-9) combined separate)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``Adam's first step moves each weight by about lr against the gradient`` () =
    let big = Gen.choose (10, 1000) |> Gen.bind (fun v -> Gen.elements [ float v / 1000.0; -(float v) / 1000.0 ])

    Prop.forAll (Arb.fromGen (Gen.zip (Gen.elements [ 0.0; 1.0 ]) (Gen.arrayOfLength 5 big))) (fun (placement, g) ->
        let lr = 0.01
        let moved, _ = adam (optimizerWith "adam" [ "bias_corrected", placement ]) lr (adamInit 5) (Array.zeroCreate 5) g
        Array.forall2 (fun m gi -> abs (abs m - lr) < 1e-3 * lr && sign m = -(sign gi)) moved g)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``the Keras and PyTorch momentum forms agree at constant lr and differ after it changes`` () =
    let caseGen =
        gen {
            let! n = Gen.choose (1, 5)
            let! w = Gen.arrayOfLength n (Gen.choose (-1000, 1000) |> Gen.map (fun v -> float v / 1000.0))
            let! gs = Gen.listOfLength 4 (Gen.arrayOfLength n (Gen.choose (100, 1000) |> Gen.map (fun v -> float v / 1000.0)))
            let! nesterov = Gen.elements [ false; true ]
            return w, gs, nesterov
        }

    Prop.forAll (Arb.fromGen caseGen) (fun (w, gs, nesterov) ->
        let run form steps =
            let c = optimizerWith "sgd" [ "momentum", 0.9; "nesterov", (if nesterov then 1.0 else 0.0); "pytorch_form", form ]
            steps |> List.fold (fun (w, b) (lr, g) -> sgd c lr b w g) (w, Array.zeroCreate w.Length) |> fst

        let constant = gs |> List.map (fun g -> 0.05, g)
        let changed = gs |> List.mapi (fun i g -> (if i < 2 then 0.05 else 0.005), g)
        let close a b = Array.forall2 (fun x y -> abs (x - y) < 1e-9) a b
        close (run 0.0 constant) (run 1.0 constant) && not (close (run 0.0 changed) (run 1.0 changed)))

[<Test>]
let ``Keras and bias-corrected epsilon placements differ when gradients are tiny`` () =
    let g = [| 1e-7; -1e-7 |]
    let keras, _ = adam (optimizerWith "adam" []) 0.1 (adamInit 2) [| 0.0; 0.0 |] g
    let corrected, _ = adam (optimizerWith "adam" [ "bias_corrected", 1.0 ]) 0.1 (adamInit 2) [| 0.0; 0.0 |] g
    // Keras adds eps to sqrt(v) before bias correction, so its effective epsilon is larger: a smaller step.
    Assert.That(abs corrected[0], Is.GreaterThan(abs keras[0] * 2.0))

[<Test>]
let ``optimizer names resolve and bad hyper-parameters are refused with the field`` () =
    let adam = optimizerWith "adam" []
    assertEq (Map.ofList [ "beta1", 0.9; "beta2", 0.999; "epsilon", 1e-7; "bias_corrected", 0.0 ]) adam.Settings
    assertEq 0.004 ((optimizerWith "adamw" []).Get "weight_decay")

    match OptimizerSpec.ofName "adagrad" with
    | Error e ->
        StringAssert.Contains("unknown optimizer 'adagrad'", e)
        StringAssert.Contains("lamb", e)
    | Ok _ -> Assert.Fail "expected an error"

    match OptimizerSpec.create "sgd" [ "momentum", 1.5 ] with
    | Error e ->
        StringAssert.Contains("momentum", e)
        StringAssert.Contains("1.5", e)
    | Ok _ -> Assert.Fail "expected an error"

    match OptimizerSpec.create "adam" [ "momentum", 0.9 ] with
    | Error e ->
        StringAssert.Contains("key 'momentum' does not apply to optimizer adam", e)
        StringAssert.Contains("beta1", e)
    | Ok _ -> Assert.Fail "expected an error"
    // the core owns the ranges: beta2 = 1 is refused there, naming the key and the value
    match OptimizerSpec.create "adam" [ "beta2", 1.0 ] with
    | Error e ->
        StringAssert.Contains("beta2", e)
        StringAssert.Contains("1", e)
    | Ok _ -> Assert.Fail "expected an error"
    // the engine checks only what it needs to stay safe: a spec made by hand without a setting
    // is an internal error naming the optimizer and the setting, not a message about input
    let net =
        {
            Lrbs.Core.Models.ModelSpec.Name = "v"
            Input = Lrbs.Core.Models.Shape.Vector 2
            Layers = [ Lrbs.Core.Models.Layer.Dense(2, Lrbs.Core.Models.Activation.Softmax) ]
        }

    let e =
        Assert.Throws<NativeException>(fun () ->
            Lrbs.Core.Models.Network.Create(
                net,
                Lrbs.Core.Losses.Loss.CrossEntropy Lrbs.Core.Losses.LossForm.Logits,
                { adam with Settings = adam.Settings.Remove "beta2" },
                [| 1UL |],
                true
            )
            |> ignore)

    StringAssert.Contains("internal error: optimizer adam: missing setting 'beta2'", e.Message)

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``RMSprop's native update is Keras's rule, centered or not, with and without momentum`` () =
    let gen =
        gen {
            let! centered = Gen.elements [ 0.0; 1.0 ]
            let! momentum = Gen.elements [ 0.0; 0.9 ]
            let! g = Gen.listOfLength 3 (Gen.arrayOfLength 4 (Gen.choose (-1000, 1000) |> Gen.map (fun v -> float v / 1000.0)))
            return centered, momentum, g
        }

    Prop.forAll (Arb.fromGen gen) (fun (centered, momentum, gs) ->
        use _ = new Scope()
        let o = optimizerWith "rmsprop" [ "centered", centered; "momentum", momentum ]
        // a linear layer on a one-hot input: the kernel's gradient is the input row times dz, so we
        // read the engine's gradient and apply the rule in float64 (rmsprop.py) beside it
        let net = { Name = "r"; Input = Shape.Vector 2; Layers = [ Layer.Dense(2, Activation.Softmax) ] }
        use n = Network.Create(net, Loss.CrossEntropy LossForm.Logits, o, [| 5UL |], true)
        let mutable w = (List.head (n.GetKerasWeights 0)).Values |> Array.map float
        let v, a, b = Array.zeroCreate 4, Array.zeroCreate 4, Array.zeroCreate 4
        let lr = 0.01

        for x in gs do
            stepOn n [| 2L; 2L |] (Array.map float32 x) (T.ofInt64 [| 2L |] [| 0L; 1L |]) lr
            let g = (List.head (n.GetKerasGradients 0)).Values |> Array.map float

            for i in 0..3 do
                v[i] <- 0.9 * v[i] + 0.1 * g[i] * g[i]
                a[i] <- 0.9 * a[i] + 0.1 * g[i]
                let d = (if centered = 1.0 then v[i] - a[i] * a[i] else v[i]) + 1e-7
                let u = lr * g[i] / sqrt d
                b[i] <- momentum * b[i] + u
                w[i] <- w[i] - (if momentum > 0.0 then b[i] else u)

            let actual = (List.head (n.GetKerasWeights 0)).Values |> Array.map float
            assertAllClose 1e-4 1e-6 w actual
            w <- actual

        true)

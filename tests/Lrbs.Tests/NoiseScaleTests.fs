module Lrbs.Tests.NoiseScaleTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Training
open Lrbs.Core.Analysis
open Lrbs.Tests.Support

/// Linear regression with Gaussian noise, where the answer is known. x ~ N(0, I_d), y = eps,
/// eps ~ N(0, s^2), the model p = w.x + b at w = delta, b = 0 (the truth is w = 0, b = 0), loss
/// (p - y)^2. Per example g = 2 (delta.x - eps) (x, 1), so G = 2 (delta, 0) and, with Isserlis,
/// Sigma = 4 ((|delta|^2 + s^2) I + delta delta^T) on the weights plus 4 (|delta|^2 + s^2) on
/// the bias: tr(Sigma) = 4 ((|delta|^2 + s^2)(d + 1) + |delta|^2), |G|^2 = 4 |delta|^2.
[<Test>]
let ``the engine's measurement recovers B_simple of linear regression within 10%`` () =
    let d, big, small, steps = 10, 64, 8, 1500
    let delta = Array.init d (fun i -> if i < 4 then 0.5f else 0.0f) // |delta|^2 = 1
    let s2 = 1.0
    let delta2 = delta |> Array.sumBy (fun v -> float v * float v)
    let expected = ((delta2 + s2) * float (d + 1) + delta2) / delta2
    let spec = { Name = "linear"; Input = Shape.Vector d; Layers = [ Layer.Dense(1, Activation.Linear) ] }
    use net = network spec Loss.MeanSquaredError "sgd"
    net.SetKerasWeights(0, [ { Name = "k"; Shape = [| d; 1 |]; Values = delta }; { Name = "b"; Shape = [| 1 |]; Values = [| 0.0f |] } ])
    let rng = Rng(11UL)
    let mutable g2, trace = 0.0, 0.0

    for _ in 1..steps do
        use _ = new Scope()
        let x = Array.init (big * d) (fun _ -> float32 (Statistics.normal rng))
        let y = Array.init big (fun _ -> float32 (sqrt s2 * Statistics.normal rng))
        Step.run net { X = T.ofFloat32 [| int64 big; int64 d |] x; Y = T.ofFloat32 [| int64 big; 1L |] y; Order = None } 0 big [| 0.0 |] small
        let smallSq, bigSq = (net.NoiseMeasurement())[0]
        let g, t = NoiseScale.estimate small big smallSq bigSq
        g2 <- g2 + g / float steps
        trace <- trace + t / float steps

    Assert.That(g2, Is.EqualTo(4.0 * delta2).Within(10).Percent)
    Assert.That(trace / g2, Is.EqualTo(expected).Within(10).Percent, $"B_simple {trace / g2}, expected {expected}")
    assertEq delta (net.GetKerasWeights 0).[0].Values // the measurement changed no weight

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``the two-batch estimator is exactly unbiased: expected norms give back |G|^2 and tr(Sigma)`` () =
    let gen = Gen.zip3 (Gen.choose (0, 1000)) (Gen.choose (0, 100000)) (Gen.elements [ 1, 2; 2, 64; 8, 64; 16, 256; 100, 1000 ])

    Prop.forAll (Arb.fromGen gen) (fun (g, t, (b, bb)) ->
        let g2, trace = float g / 100.0, float t / 100.0
        // E|G_b|^2 = |G|^2 + tr(Sigma)/b
        let eg, et = NoiseScale.estimate b bb (g2 + trace / float b) (g2 + trace / float bb)
        abs (eg - g2) <= 1e-9 * (1.0 + trace) && abs (et - trace) <= 1e-9 * (1.0 + trace))

[<FsCheck.NUnit.Property(MaxTest = 10)>]
let ``on synthetic per-example gradients the averaged estimates approach the truth`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 1000)) (Gen.elements [ 4, 32; 8, 128 ]))) (fun (seed, (b, bb)) ->
        let rng = Rng(uint64 seed)
        let dims = 6
        let mean = Array.init dims (fun i -> float (i % 3) - 0.7)
        let sd = Array.init dims (fun i -> 0.5 + float i)
        let trueG2 = mean |> Array.sumBy (fun m -> m * m)
        let trueTrace = sd |> Array.sumBy (fun s -> s * s)
        let draws = 3000
        let mutable g2, trace = 0.0, 0.0

        for _ in 1..draws do
            let examples = Array.init bb (fun _ -> Array.init dims (fun j -> mean[j] + sd[j] * Statistics.normal rng))
            let sq (rows: float[][]) = Array.init dims (fun j -> rows |> Array.averageBy (fun r -> r[j])) |> Array.sumBy (fun v -> v * v)
            let small = [| for k in 0 .. bb / b - 1 -> sq examples[k * b .. (k + 1) * b - 1] |] |> Array.average
            let g, t = NoiseScale.estimate b bb small (sq examples)
            g2 <- g2 + g / float draws
            trace <- trace + t / float draws

        (abs (g2 - trueG2) < 0.1 * trueG2 + 0.1 && abs (trace - trueTrace) < 0.05 * trueTrace)
        |> Prop.label $"|G|^2 {g2} vs {trueG2}, tr {trace} vs {trueTrace}")

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``the moving averages of a constant read back that constant`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.choose (1, 1000)) (Gen.choose (1, 1000)) (Gen.choose (1, 50)))) (fun (g, t, n) ->
        let e = List.fold (fun e _ -> NoiseScale.add 0.95 (float g, float t) e) NoiseScale.empty [ 1..n ]

        match NoiseScale.read e with
        | Some(g', t', b) -> abs (g' - float g) < 1e-9 * float g && abs (t' - float t) < 1e-9 * float t && abs (b - float t / float g) < 1e-9 * b
        | None -> false)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``the Pareto fit recovers S_min and E_min from points on the curve`` () =
    let gen =
        Gen.zip3 (Gen.choose (10, 100000)) (Gen.choose (1, 5000)) (Gen.elements [ [| 4; 16; 64; 256; 1024 |]; [| 8; 16; 32; 64; 128; 256 |]; [| 1; 10; 100 |] ])

    Prop.forAll (Arb.fromGen gen) (fun (smin, bcrit, batches) ->
        let truth: CriticalBatch.Pareto = { SMin = float smin; BCrit = float bcrit }

        match CriticalBatch.fit (batches |> Array.map (fun b -> float b, truth.Steps(float b))) with
        | Some p -> (abs (p.SMin / truth.SMin - 1.0) < 1e-3 && abs (p.EMin / truth.EMin - 1.0) < 1e-3) |> Prop.label $"{p} vs {truth}"
        | None -> false |> Prop.label "no fit")

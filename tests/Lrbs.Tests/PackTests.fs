module Lrbs.Tests.PackTests

open NUnit.Framework
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Training
open Lrbs.Tests.Support

/// A small CNN with `filters` filters (<= 8 runs ATen's im2col kernels, more runs MKLDNN).
let private cnn filters =
    { Name = "p"; Input = Shape.Image(2, 8, 8)
      Layers = [ Layer.Conv2D(filters, 3, 1, Padding.Same, Activation.Relu); Layer.MaxPool2D 2; Layer.Flatten; Layer.Dense(3, Activation.Softmax) ] }

[<TestCase(4)>]
[<TestCase(12)>]
let ``members with their own batches train as they would alone, through both conv kernels`` (filters: int) =
    use _ = new Scope()
    let n = 12
    let x = T.ofFloat32 [| int64 n; 2L; 8L; 8L |] (Array.init (n * 128) (fun i -> float32 ((i * 13) % 29) / 29.0f))
    let y = T.ofInt64 [| int64 n |] (Array.init n (fun i -> int64 (i % 3)))
    let orders = [| Rng(1UL).Permutation n; Rng(2UL).Permutation n |]
    let loss = Loss.CrossEntropy LossForm.Logits
    use pack = Network.Create(cnn filters, loss, optimizer "adam", [| 5UL; 6UL |], false)
    let packOrder = T.ofInt64 [| 2L; int64 n |] (orders |> Array.collect (Array.map int64))
    let alone = [| 5UL; 6UL |] |> Array.map (fun s -> Network.Create(cnn filters, loss, optimizer "adam", [| s |], true))
    for start in [ 0; 4; 8 ] do
        Step.run pack { X = x; Y = y; Order = Some packOrder } start 4 [| 0.01; 0.003 |] 0
        alone |> Array.iteri (fun k net ->
            Step.run net { X = x; Y = y; Order = Some(T.ofInt64 [| int64 n |] (Array.map int64 orders[k])) } start 4 [| [| 0.01; 0.003 |][k] |] 0)
    alone |> Array.iteri (fun k net ->
        List.iter2 (fun (a: KerasWeight) (b: KerasWeight) -> assertAllClose 1e-4 1e-6 (Array.map float a.Values) (Array.map float b.Values))
            (net.GetKerasWeights 0) (pack.GetKerasWeights k)
        (net :> System.IDisposable).Dispose())

module Lrbs.Tests.OptimizerTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Engine
open Lrbs.Core.Optimizers
open Lrbs.Tests.Support

/// Runs the libtorch-backed optimizer on one weight vector, feeding the given gradients
/// (through autograd: loss = sum(w * g) has gradient g).
let torchRun (spec: OptimizerSpec) (w0: float[]) (steps: (float * float[]) list) =
    use _ = new Scope()
    let w = (T.ofFloat32 [| int64 w0.Length |] (Array.map float32 w0)).Detach()
    T.requiresGrad w
    use opt = Factory.create spec [| w |]
    for lr, g in steps do
        use _ = new Scope()
        T.backward (T.sum (w * T.ofFloat32 [| int64 g.Length |] (Array.map float32 g)))
        opt.Step lr
    let result = w.ToArray() |> Array.map float
    (w :> System.IDisposable).Dispose()
    result

/// The float64 specification on the same inputs.
let specRun (spec: OptimizerSpec) (w0: float[]) (steps: (float * float[]) list) =
    let w = w0 |> Array.map (float32 >> float) // same starting point as the float32 engine
    match spec with
    | OptimizerSpec.Sgd c ->
        steps |> List.fold (fun (w, b) (lr, g) -> UpdateRules.sgd c lr b w g) (w, Array.zeroCreate w.Length) |> fst
    | OptimizerSpec.Adam c ->
        steps |> List.fold (fun (w, s) (lr, g) -> UpdateRules.adam c lr s w g) (w, UpdateRules.adamInit w.Length) |> fst

let private value = Gen.choose (-1000, 1000) |> Gen.map (fun v -> float v / 1000.0)

let private specGen =
    Gen.oneof
        [ gen {
              let! mu = Gen.elements [ 0.0; 0.5; 0.9 ]
              let! nesterov = if mu = 0.0 then Gen.constant false else Gen.elements [ false; true ]
              let! form = Gen.elements [ MomentumForm.Keras; MomentumForm.PyTorch ]
              return OptimizerSpec.Sgd { Momentum = mu; Nesterov = nesterov; Form = form }
          }
          gen {
              let! placement = Gen.elements [ EpsilonPlacement.Keras; EpsilonPlacement.BiasCorrected ]
              let! b1 = Gen.elements [ 0.9; 0.5 ]
              return OptimizerSpec.Adam { AdamConfig.Default with Beta1 = b1; Placement = placement }
          } ]

let private caseGen =
    gen {
        let! spec = specGen
        let! n = Gen.choose (1, 8)
        let! w = Gen.arrayOfLength n value
        let! k = Gen.choose (1, 6)
        let! steps = Gen.listOfLength k (Gen.zip (Gen.elements [ 0.001; 0.01; 0.1 ]) (Gen.arrayOfLength n value))
        return spec, w, steps
    }

[<FsCheck.NUnit.Property(MaxTest = 60)>]
let ``the libtorch optimizers match the float64 specification`` () =
    Prop.forAll (Arb.fromGen caseGen) (fun (spec, w, steps) ->
        let expected = specRun spec w steps
        let actual = torchRun spec w steps
        Array.forall2 (fun e a -> abs (a - e) <= 2e-5 + 1e-4 * abs e) expected actual
        |> Prop.label $"%A{spec}\nexpected %A{expected}\nactual   %A{actual}")

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``a first step with lr 0 changes nothing`` () =
    Prop.forAll (Arb.fromGen caseGen) (fun (spec, w, steps) ->
        let g = snd steps.Head
        let w32 = w |> Array.map (float32 >> float)
        torchRun spec w [ 0.0, g ] = w32 && specRun spec w [ 0.0, g ] = w32)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``plain SGD is linear in the gradient`` () =
    let gen3 = Gen.choose (1, 6) |> Gen.bind (fun n -> Gen.three (Gen.arrayOfLength n value))
    Prop.forAll (Arb.fromGen (Gen.zip gen3 (Gen.two (Gen.elements [ -2.0; 0.5; 3.0 ])))) (fun ((w, g1, g2), (a, b)) ->
        let sgd = OptimizerSpec.Sgd SgdConfig.Default
        let delta g = Array.map2 (-) (specRun sgd w [ 0.1, g ]) (w |> Array.map (float32 >> float))
        let combined = delta (Array.map2 (fun x y -> a * x + b * y) g1 g2)
        let separate = Array.map2 (fun x y -> a * x + b * y) (delta g1) (delta g2)
        Array.forall2 (fun x y -> abs (x - y) < 1e-9) combined separate)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``Adam's first step moves each weight by about lr`` () =
    let big = Gen.choose (10, 1000) |> Gen.bind (fun v -> Gen.elements [ float v / 1000.0; -(float v) / 1000.0 ])
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.elements [ EpsilonPlacement.Keras; EpsilonPlacement.BiasCorrected ]) (Gen.arrayOfLength 5 big))) (fun (placement, g) ->
        let lr = 0.01
        let w = Array.zeroCreate 5
        let moved = torchRun (OptimizerSpec.Adam { AdamConfig.Default with Placement = placement }) w [ lr, g ]
        Array.forall2 (fun m gi -> abs (abs m - lr) < 1e-4 * lr * 10.0 && sign m = -(sign gi)) moved g)

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``the Keras and PyTorch momentum forms agree at constant lr and differ after it changes`` () =
    let caseGen =
        gen {
            let! n = Gen.choose (1, 5)
            let! w = Gen.arrayOfLength n value
            let! gs = Gen.listOfLength 4 (Gen.arrayOfLength n (Gen.choose (100, 1000) |> Gen.map (fun v -> float v / 1000.0)))
            let! nesterov = Gen.elements [ false; true ]
            return w, gs, nesterov
        }
    Prop.forAll (Arb.fromGen caseGen) (fun (w, gs, nesterov) ->
        let form f = OptimizerSpec.Sgd { Momentum = 0.9; Nesterov = nesterov; Form = f }
        let constant = gs |> List.map (fun g -> 0.05, g)
        let changed = gs |> List.mapi (fun i g -> (if i < 2 then 0.05 else 0.005), g)
        let close a b = Array.forall2 (fun x y -> abs (x - y) < 1e-9) a b
        let agree = close (specRun (form MomentumForm.Keras) w constant) (specRun (form MomentumForm.PyTorch) w constant)
        let differ = not (close (specRun (form MomentumForm.Keras) w changed) (specRun (form MomentumForm.PyTorch) w changed))
        let torchDiffers =
            Array.exists2 (fun x y -> abs (x - y) > 1e-4) (torchRun (form MomentumForm.Keras) w changed) (torchRun (form MomentumForm.PyTorch) w changed)
        agree && differ && torchDiffers)

[<Test>]
let ``Keras and bias-corrected epsilon placements differ when gradients are tiny`` () =
    let g = [| 1e-7; -1e-7 |]
    let keras = specRun (OptimizerSpec.Adam AdamConfig.Default) [| 0.0; 0.0 |] [ 0.1, g ]
    let corrected = specRun (OptimizerSpec.Adam { AdamConfig.Default with Placement = EpsilonPlacement.BiasCorrected }) [| 0.0; 0.0 |] [ 0.1, g ]
    // Keras adds eps to sqrt(v) before bias correction, so its effective epsilon is larger: a smaller step.
    Assert.That(abs corrected[0], Is.GreaterThan(abs keras[0] * 2.0))

[<Test>]
let ``optimizer names resolve and bad hyper-parameters are refused with the field`` () =
    assertEq (Ok(OptimizerSpec.Adam AdamConfig.Default)) (OptimizerSpec.ofName "adam")
    match OptimizerSpec.ofName "rmsprop" with
    | Error e -> StringAssert.Contains("unknown optimizer 'rmsprop'", e); StringAssert.Contains("adam", e)
    | Ok _ -> Assert.Fail "expected an error"
    match OptimizerSpec.validate (OptimizerSpec.Sgd { SgdConfig.Default with Momentum = 1.5 }) with
    | Error e -> StringAssert.Contains("momentum", e); StringAssert.Contains("1.5", e)
    | Ok _ -> Assert.Fail "expected an error"

namespace Lrbs.Core.Optimizers

open System
open Lrbs.Core.Engine

/// The shared part of every optimizer (like Keras's BaseOptimizer): the step
/// counter, fetching gradients, grad mode and the lifetime of the state.
/// A concrete optimizer supplies `Build` (its state for one parameter) and
/// `UpdateStep` (only the maths).
[<AbstractClass>]
type Optimizer(parameters: Tensor[]) =
    let mutable iterations = 0
    let mutable state: Tensor[][] = null

    /// Creates the state tensors for one parameter (e.g. zeros like it).
    abstract Build: parameter: Tensor -> Tensor[]

    /// Updates one parameter in place given its gradient, its state, the learning
    /// rate and the 1-based step number t. Runs with gradient recording off.
    abstract UpdateStep: parameter: Tensor * gradient: Tensor * state: Tensor[] * lr: float * t: int -> unit

    /// Updates completed so far.
    member _.Iterations = iterations

    /// Applies one update to every parameter that has a gradient, then clears the gradients.
    member this.Step(lr: float) =
        if state = null then
            state <- parameters |> Array.map (fun p -> this.Build p |> Array.map (fun s -> s.Detach()))
        use _ = new NoGrad()
        iterations <- iterations + 1
        for i in 0 .. parameters.Length - 1 do
            match T.grad parameters[i] with
            | Some g ->
                use g = g
                this.UpdateStep(parameters[i], g, state[i], lr, iterations)
                T.zeroGrad parameters[i]
            | None -> ()

    interface IDisposable with
        member _.Dispose() =
            if state <> null then
                for s in state do
                    for t in s do
                        (t :> IDisposable).Dispose()
                state <- null

/// The analyses as the report's sections (src/Host.CSharp/Report) call them, C#-shaped:
/// nullable values in, a record or null out. Each member calls the one F# definition it names.
namespace Lrbs.Core.Surface

open System
open Lrbs.Core.Analysis

[<AbstractClass; Sealed>]
type Analyses =
    static member private OrNull(o: 'T option) : 'T =
        match o with
        | Some v -> v
        | None -> Unchecked.defaultof<'T>

    /// The steps-to-target goal (StepsToTarget.goal): the given target, else the default one.
    static member Goal(target: Nullable<float>, chance: float, runs: StepsToTarget.Run[]) : StepsToTarget.Goal =
        StepsToTarget.goal (Option.ofNullable target) chance runs

    /// One pool of a data-scaling grid (DataScaling.poolOf); `target`: one every pool reaches,
    /// or null (no B_crit).
    static member DataPool(rows: int, best: (int * float)[], bestReplicates: (int * float)[][], target: Nullable<float>, runs: StepsToTarget.Run[]) =
        DataScaling.poolOf rows best bestReplicates (Option.ofNullable target) runs

    /// lr*(B, D) = c B^k D^d across pools (DataScaling.lrSurface); null without a fit.
    static member LrSurface(pools: DataScaling.Pool[]) : DataScaling.Surface = Analyses.OrNull(DataScaling.lrSurface pools)

    /// B_crit(D) = c D^e across pools (DataScaling.criticalBatch); null without a fit.
    static member CriticalBatchOverData(pools: DataScaling.Pool[]) : DataScaling.Exponent = Analyses.OrNull(DataScaling.criticalBatch pools)

    /// An exponent's 95% interval; null without one.
    static member Interval(e: DataScaling.Exponent) : ScalingFit.Interval = Analyses.OrNull e.Interval

    /// The scaling rule a fitted k supports (ScalingFit.rule): "linear", "square-root", or null
    /// when its interval holds both, neither, or its premises fail.
    static member FollowedRule(fit: ScalingFit.Fit) : string = Option.toObj (ScalingFit.rule fit)

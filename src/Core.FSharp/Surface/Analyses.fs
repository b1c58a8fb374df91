/// The analyses as the report's sections (src/Host.CSharp/Report) call them, C#-shaped:
/// nullable values in, a record or null out. Each member calls the one F# definition it names.
namespace Lrbs.Core.Surface

open System
open Lrbs.Core.Analysis
open Lrbs.Core.Data

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

    /// k of lr* ~ B^k over the bracketed rows (ScalingFit.fit); null without a fit.
    static member ScalingFit(cells: ScalingFit.Cell[], seed: uint64) : ScalingFit.Fit = Analyses.OrNull(ScalingFit.fit cells seed)

    /// k's 95% interval (ScalingFit.Fit.Interval); null without one.
    static member Interval(fit: ScalingFit.Fit) : ScalingFit.Interval = Analyses.OrNull fit.Interval

    /// The best lr's 95% interval at batch size b (ScalingFit.bestInterval); null without one.
    static member BestInterval(fit: ScalingFit.Fit, batch: int) : ScalingFit.Interval = Analyses.OrNull(ScalingFit.bestInterval fit batch)

    /// The premises of k's interval that fail (ScalingFit.failedPremises).
    static member FailedPremises(fit: ScalingFit.Fit) : string[] = ScalingFit.failedPremises fit |> List.toArray

    /// A local slope's 95% interval (OptimumShape.Slope.Interval); null without one.
    static member Interval(slope: OptimumShape.Slope) : ScalingFit.Interval = Analyses.OrNull slope.Interval

    /// The power law against the surge form (OptimumShape.compare); null when either cannot be fitted.
    static member CompareShapes(fit: ScalingFit.Fit) : OptimumShape.Comparison = Analyses.OrNull(OptimumShape.compare fit)

    /// y = c x^k by least squares in log-log (PowerLaw.fit); null without a fit.
    static member PowerLaw(xs: float[], ys: float[]) : PowerLaw.Line = Analyses.OrNull(PowerLaw.fit xs ys)

    /// B_crit from the steps to a target (CriticalBatchInterval.fit); null without one.
    static member CriticalBatch(target: float, runs: StepsToTarget.Run[]) : CriticalBatch.Pareto = Analyses.OrNull(CriticalBatchInterval.fit target runs)

    /// B_crit's interval over the seeds (CriticalBatchInterval.bootstrap); null without one.
    static member CriticalBatchInterval(target: float, runs: StepsToTarget.Run[]) : CriticalBatchInterval.Interval =
        Analyses.OrNull(CriticalBatchInterval.bootstrap target runs)

    /// An interval's lower end; null when the data do not bound it.
    static member Low(i: CriticalBatchInterval.Interval) : Nullable<float> = Option.toNullable i.Low

    /// An interval's upper end; null when the data do not bound it.
    static member High(i: CriticalBatchInterval.Interval) : Nullable<float> = Option.toNullable i.High

    /// The noise-scale bin at a training loss (NoiseByLoss.at); null when none holds it.
    static member NoiseAt(loss: float, bins: NoiseByLoss.Bin[]) : NoiseByLoss.Bin = Analyses.OrNull(NoiseByLoss.at loss bins)

    /// The direct estimate's upper batch size (CriticalBatchDirect.Estimate.Upper); null for a bound.
    static member Upper(e: CriticalBatchDirect.Estimate) : Nullable<int> = Option.toNullable e.Upper

    /// A pool's B_crit (DataScaling.Pool.BCrit); null when not measured or outside the grid.
    static member BCrit(pool: DataScaling.Pool) : Nullable<float> = Option.toNullable pool.BCrit

    /// A pool's fitted B_crit outside its grid's batch sizes (DataScaling.Pool.BCritOutside): a
    /// bound, not located; null otherwise.
    static member BCritOutside(pool: DataScaling.Pool) : Nullable<float> = Option.toNullable pool.BCritOutside

    /// The scaling rules the band is tested against (OptimumBand.rules).
    static member Rules: OptimumBand.Rule[] = List.toArray OptimumBand.rules

    /// The width's slope against log B (OptimumBand.widthSlope); null with fewer than 3 closed bands.
    static member WidthSlope(bands: OptimumBand.Band[]) : Nullable<float> = Option.toNullable (OptimumBand.widthSlope bands)

    /// The width slope's 95% interval (OptimumBand.widthSlopeInterval); null without replicates.
    static member WidthSlopeInterval(bands: OptimumBand.Band[], replicates: OptimumBand.Band[][]) : ScalingFit.Interval =
        Analyses.OrNull(OptimumBand.widthSlopeInterval bands replicates)

    /// Where a rule started at b0 leaves the band (OptimumBand.breaking); null without a band at b0.
    static member Breaking(bands: OptimumBand.Band[], b0: int, rule: OptimumBand.Rule) : OptimumBand.Breaking =
        Analyses.OrNull(OptimumBand.breaking bands b0 rule)

    /// The first batch size above (up) or below b0 outside the band; null when it holds to the grid's end.
    static member BreaksAt(b: OptimumBand.Breaking, up: bool) : Nullable<int> = Option.toNullable (if up then b.Up else b.Down)

    /// The breaking batch size's interval over the seeds (OptimumBand.breakingInterval); null without replicates.
    static member BreakingInterval(replicates: OptimumBand.Band[][], b0: int, rule: OptimumBand.Rule, up: bool) : OptimumBand.BreakInterval =
        Analyses.OrNull(OptimumBand.breakingInterval replicates b0 rule up)

    /// An interval end of the breaking batch size (low or high); null: no break within the grid.
    static member End(i: OptimumBand.BreakInterval, high: bool) : Nullable<int> = Option.toNullable (if high then i.High else i.Low)

    /// The interval of the band's low end (or high end); null when the replicates do not bound it.
    static member End(i: OptimumBand.BandInterval, high: bool) : OptimumBand.Ends = Analyses.OrNull(if high then i.HighEnd else i.LowEnd)

    /// Smith and Le's noise-scale collapse (OptimumBand.collapse); null with fewer than 2 bracketed rows.
    static member Collapse(fit: ScalingFit.Fit, rows: int, momentum: float) : OptimumBand.Collapse = Analyses.OrNull(OptimumBand.collapse fit rows momentum)

    /// The spread of the best g's 95% interval; null without replicates.
    static member Interval(c: OptimumBand.Collapse) : OptimumBand.Ends = Analyses.OrNull c.Interval

    /// A published table's number as printed, with its decimals (Fractions.ofText); null when it is not one.
    static member Printed(text: string) : Fractions.Printed = Analyses.OrNull(Fractions.ofText text)

    /// A dataset's registry entry (Registry.tryInfo); null for a name the registry does not hold.
    static member DatasetInfo(name: string) : Registry.DatasetInfo = Analyses.OrNull(Registry.tryInfo name)

/// Finding the best learning rate of a group of trials (every key but lr and seed fixed) instead
/// of reading it off a fixed grid. A round runs one or more learning rates (each with every
/// seed); the next round is a pure function of the committed outcomes, so any number of shards
/// and reruns agree on what to run next:
///  1. round 0: `Points` log-spaced learning rates from `Low` to `High`;
///  2. while the best is the smallest (largest) learning rate run, the next one outward at the
///     bracket's spacing, at most `MaxExtend` times (the group then ends at that limit);
///  3. then golden-section search in log lr: the next point goes into the larger of the two gaps
///     beside the best, 0.382 of the way from the best (Kiefer 1953), until both neighbours are
///     within a factor `RefineTo` of the best, or within noise of it, or `MaxRefine` points.
/// A learning rate is rounded to 4 significant digits, so that its text (and the trial id) is
/// the same on every machine: 1e-4 .. 1e-1 in 4 points is 0.0001, 0.001, 0.01, 0.1.
module Lrbs.Core.Planning.LrBracket

open System
open System.Globalization

/// What a sweep file's `lr: {bracket: [LOW, HIGH], points, refine_to, max_extend, max_refine}` asks.
type Spec =
    {
        /// The first round's smallest learning rate (> 0).
        Low: float
        /// The first round's largest learning rate (> Low).
        High: float
        /// Log-spaced learning rates of the first round (>= 3).
        Points: int
        /// Refinement stops when both neighbours of the best are within this factor (> 1).
        RefineTo: float
        /// The most learning rates added outward beyond the bracket, per group (default 4).
        MaxExtend: int
        /// The most golden-section points, per group (default 8).
        MaxRefine: int
    }

let defaultMaxExtend = 4
let defaultMaxRefine = 8
let defaultRefineTo = 1.4

/// Checks a spec; an error names its key (`lr.bracket`, `lr.points`, ...) and the value.
let check (s: Spec) : Result<Spec, string * string> =
    let g (v: float) = v.ToString("G", CultureInfo.InvariantCulture)

    if not (s.Low > 0.0 && Double.IsFinite s.Low && s.High > 0.0 && Double.IsFinite s.High) then
        Error("lr.bracket", $"the bracket's ends must be positive numbers, got [{g s.Low}, {g s.High}]")
    elif not (s.High > s.Low) then
        Error("lr.bracket", $"the bracket's ends must increase, got [{g s.Low}, {g s.High}]")
    elif s.Points < 3 then
        Error("lr.points", $"expected an integer >= 3 (a best point needs two neighbours), got {s.Points}")
    elif not (s.RefineTo > 1.0 && Double.IsFinite s.RefineTo) then
        Error("lr.refine_to", $"expected a factor > 1, got {g s.RefineTo}")
    elif s.MaxExtend < 0 then
        Error("lr.max_extend", $"expected an integer >= 0, got {s.MaxExtend}")
    elif s.MaxRefine < 0 then
        Error("lr.max_refine", $"expected an integer >= 0, got {s.MaxRefine}")
    else
        Ok s

/// A learning rate as it is planned: 4 significant digits.
let roundLr (lr: float) = Double.Parse(lr.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)

/// The first round's learning rates.
let initial (s: Spec) =
    [ for k in 0 .. s.Points - 1 -> roundLr (s.Low * (s.High / s.Low) ** (float k / float (s.Points - 1))) ]
    |> List.distinct

/// The most learning rates one group can run: the first round, every step outward, every refinement.
let maxPoints (s: Spec) = (initial s).Length + s.MaxExtend + s.MaxRefine

/// The spacing of the first round, the factor between neighbours.
let ratio (s: Spec) = (s.High / s.Low) ** (1.0 / float (s.Points - 1))

/// What the search reads of one committed trial: its score (the final test metric, higher is
/// better; 0 when it diverged or failed) and, when known, the standard error of that one
/// score (the binomial error of an accuracy, or the spread of its last epochs); NaN when not.
type Outcome = { Score: float; Noise: float }

/// One learning rate of a group's plan: the round that added it and why.
type Point = { Round: int; Lr: float; Why: string }

/// A learning rate's outcomes over the seeds: their mean and its standard error (the spread of
/// the seeds over sqrt(n) with two or more, at least the outcomes' own errors pooled; else the
/// one outcome's own noise).
type Cell = { Lr: float; Mean: float; Error: float }

let cell (lr: float) (outcomes: Outcome list) =
    let scores = outcomes |> List.map (fun o -> o.Score) |> Array.ofList
    let n = scores.Length
    let mean = Array.average scores
    // the seeds' spread over sqrt(n), never below the test sampling of the mean (the outcomes'
    // own errors; for proportions never 0), so that seeds that happen to agree are not exact
    let sampling = sqrt (outcomes |> List.sumBy (fun o -> o.Noise ** 2.0)) / float n

    let error =
        if n >= 2 then
            let spread = sqrt (Array.sumBy (fun x -> (x - mean) ** 2.0) scores / float (n - 1)) / sqrt (float n)
            if Double.IsFinite sampling then max spread sampling else spread
        else
            outcomes.Head.Noise

    { Lr = lr; Mean = mean; Error = error }

/// Where a group's search stands.
[<RequireQualifiedAccess>]
type State =
    /// Some trials of this round are not committed yet.
    | Running
    /// The best learning rate is interior and refined as far as asked.
    | Found of why: string
    /// Stopped at a named limit (max_extend or max_refine, or learning rates too close to tell apart).
    | Limit of why: string

/// A group's search so far: every point in plan order, where it stands, the cells of the
/// learning rates run so far (ascending) and the best of them.
type Plan = { Points: Point list; State: State; Cells: Cell list; Best: Cell option }

/// Whether neighbour `n` is within noise of the best `b`: their difference is at most one
/// standard error of the difference. Never, when either error is unknown.
let withinNoise (b: Cell) (n: Cell) = Double.IsFinite b.Error && Double.IsFinite n.Error && b.Mean - n.Mean <= sqrt (b.Error ** 2.0 + n.Error ** 2.0)

/// The golden-section fraction 2 - phi: the new point sits this far from the best into the larger gap.
let golden = (3.0 - sqrt 5.0) / 2.0

let private g (v: float) = v.ToString("G4", CultureInfo.InvariantCulture)

/// The plan of one group, replayed from the start on the committed outcomes: `outcome lr seed`
/// is Some once the trial of that learning rate and seed is committed.
let plan (s: Spec) (seeds: int list) (outcome: float -> int -> Outcome option) : Plan =
    let step = ratio s

    let rec go (points: Point list) (round: int) (extended: int) (refined: int) =
        let lrs = points |> List.map (fun p -> p.Lr) |> List.distinct |> List.sort
        let results = lrs |> List.map (fun lr -> lr, seeds |> List.map (outcome lr))
        let complete = results |> List.forall (fun (_, os) -> os |> List.forall Option.isSome)

        let cells =
            results
            |> List.filter (fun (_, os) -> os |> List.forall Option.isSome)
            |> List.map (fun (lr, os) -> cell lr (List.choose id os))
        // the first maximum: the smaller lr on a tie
        let bestAt = if cells.IsEmpty then -1 else cells |> List.indexed |> List.maxBy (fun (_, c) -> c.Mean) |> fst
        let best = if bestAt < 0 then None else Some cells[bestAt]
        let stop state = { Points = points; State = state; Cells = cells; Best = best }

        if not complete then
            stop State.Running
        else
            let b, i = best.Value, bestAt

            let add lr why extended refined =
                let lr = roundLr lr

                if List.contains lr lrs then
                    stop (State.Limit $"the next learning rate ({g lr}) rounds to one already run: 4 significant digits cannot refine further")
                else
                    go (points @ [ { Round = round + 1; Lr = lr; Why = why } ]) (round + 1) extended refined

            let last = cells.Length - 1

            if i = 0 || i = last then
                let edge, outward = if i = 0 then "smallest", b.Lr / step else "largest", b.Lr * step

                if extended >= s.MaxExtend then
                    stop (
                        State.Limit
                            $"the best learning rate ({g b.Lr}) is still the {edge} run after max_extend = {s.MaxExtend} steps outward: the optimum lies outside"
                    )
                else
                    add outward $"the best ({g b.Lr}) is the {edge} run: one step ({g step}x) outward" (extended + 1) refined
            else
                let lo, hi = cells[i - 1], cells[i + 1]
                let gapLo, gapHi = log (b.Lr / lo.Lr), log (hi.Lr / b.Lr)
                let tolerance = log s.RefineTo

                if gapLo <= tolerance * (1.0 + 1e-9) && gapHi <= tolerance * (1.0 + 1e-9) then
                    stop (
                        State.Found
                            $"{g b.Lr}: its neighbours {g lo.Lr} and {g hi.Lr} are within a factor {g (exp (max gapLo gapHi))} <= refine_to {g s.RefineTo}"
                    )
                elif withinNoise b lo && withinNoise b hi then
                    stop (
                        State.Found
                            $"{g b.Lr}: its neighbours {g lo.Lr} and {g hi.Lr} score within one standard error of it (noise), so points between cannot be told apart"
                    )
                elif refined >= s.MaxRefine then
                    stop (State.Limit $"max_refine = {s.MaxRefine} points spent; the best is {g b.Lr} between {g lo.Lr} and {g hi.Lr}")
                else
                    let far = if gapHi > gapLo then hi else lo
                    let x = exp (log b.Lr + golden * (log far.Lr - log b.Lr))
                    add x $"golden section between the best ({g b.Lr}) and {g far.Lr}, the wider side" extended (refined + 1)

    go (initial s |> List.map (fun lr -> { Round = 0; Lr = lr; Why = "the bracket's log-spaced points" })) 0 0 0

/// The round a group's search is in (its last point's round).
let currentRound (p: Plan) = p.Points |> List.map (fun x -> x.Round) |> List.max

/// A committed trial as the search scores it: its final test metric when it finished and learned
/// (0 when it diverged, failed or collapsed, as the report's fit scores it); as noise, the
/// standard error of an accuracy or exact match on its test rows (Statistics.proportionError,
/// never 0), else the spread of its last epochs' test metric (`spread`, NaN when unknown).
let outcomeOf (finished: bool) (metric: string) (testMetric: float option) (testRows: int) (spread: float) =
    let score = if finished then defaultArg testMetric 0.0 else 0.0

    let noise =
        match metric with
        | "accuracy"
        | "exact_match" when testRows > 0 -> Lrbs.Core.Analysis.Statistics.proportionError score testRows
        | _ -> spread

    { Score = score; Noise = noise }

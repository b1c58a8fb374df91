namespace Lrbs.Core.Schedules

open System

/// How the hyper-parameters follow the batch size. Each rule starts from a base: the trial's
/// `lr` (lr0) and its optimizer's settings are right at batch size B0 (`base_batch`), and a
/// trial at batch size B trains with them scaled by kappa = B / B0.
[<RequireQualifiedAccess>]
type ScalingRule =
    /// lr = lr0 kappa: the linear rule (Goyal et al. 2017, "Accurate, Large Minibatch SGD").
    | Linear
    /// lr = lr0 sqrt(kappa): the square-root rule (Krizhevsky 2014; Hoffer et al. 2017).
    | SquareRoot
    /// Adam's square-root scaling rule from its SDE (Malladi, Lyu, Panigrahi and Arora 2022,
    /// "On the SDEs and Scaling Rules for Adaptive Gradient Algorithms", NeurIPS; in the words of
    /// its first author's note "How to Scale Hyperparameters as Batch Size Increases", 2024):
    /// lr = lr0 sqrt(kappa), 1 - beta1' = kappa (1 - beta1), 1 - beta2' = kappa (1 - beta2),
    /// epsilon' = epsilon / sqrt(kappa). Defined while kappa (1 - beta) < 1: scaling far up from
    /// a small base drives beta1 below 0, which is an error naming the key, not a clamp.
    | AdamSqrtSde
    /// Keep the half-life of Adam's second-moment average fixed in examples, not in steps
    /// (Marek et al. 2025, "Small Batch Size Training for Language Models", Eq. 2, from the
    /// half-life t with beta^(t / B) = 1/2): beta2' = beta2^kappa; the learning rate stays lr0
    /// (the rule scales beta2 only; the paper tunes the learning rate separately).
    | Beta2HalfLife

/// A trial's scaling: the rule, the base batch size B0 and a linear warm-up of the learning
/// rate over the first WarmupEpochs epochs, step by step, from lr0 to the scaled rate.
type LrScaling = { Rule: ScalingRule; BaseBatch: int; WarmupEpochs: int }

module LrScaling =
    /// Every rule with its name in trial keys and sweep files.
    let rules =
        [
            ScalingRule.Linear, "linear"
            ScalingRule.SquareRoot, "sqrt"
            ScalingRule.AdamSqrtSde, "adam-sqrt-sde"
            ScalingRule.Beta2HalfLife, "beta2-halflife"
        ]

    let ruleName rule = rules |> List.pick (fun (r, n) -> if r = rule then Some n else None)

    /// The power of kappa the learning rate is multiplied by.
    let exponent =
        function
        | ScalingRule.Linear -> 1.0
        | ScalingRule.SquareRoot
        | ScalingRule.AdamSqrtSde -> 0.5
        | ScalingRule.Beta2HalfLife -> 0.0

    /// kappa = B / B0.
    let kappa (s: LrScaling) (batch: int) = float batch / float s.BaseBatch

    /// lr0 kappa^exponent.
    let scaled (s: LrScaling) (lr0: float) (batch: int) = lr0 * Math.Pow(kappa s batch, exponent s.Rule)

    /// The optimizer keys a rule rewrites (an optimizer without them cannot take the rule).
    let optimizerKeys =
        function
        | ScalingRule.Linear
        | ScalingRule.SquareRoot -> []
        | ScalingRule.AdamSqrtSde -> [ "beta1"; "beta2"; "epsilon" ]
        | ScalingRule.Beta2HalfLife -> [ "beta2" ]

    /// The optimizer's settings at batch size `batch` under the rule (the settings at B0 given);
    /// the caller checks the new values against the optimizer's own ranges.
    let optimizerSettings (s: LrScaling) (batch: int) (settings: Map<string, float>) : Result<Map<string, float>, string> =
        let k = kappa s batch

        match optimizerKeys s.Rule |> List.filter (settings.ContainsKey >> not) with
        | [] ->
            match s.Rule with
            | ScalingRule.Linear
            | ScalingRule.SquareRoot -> Ok settings
            | ScalingRule.AdamSqrtSde ->
                Ok(
                    settings
                    |> Map.add "beta1" (1.0 - k * (1.0 - settings["beta1"]))
                    |> Map.add "beta2" (1.0 - k * (1.0 - settings["beta2"]))
                    |> Map.add "epsilon" (settings["epsilon"] / sqrt k)
                )
            | ScalingRule.Beta2HalfLife -> Ok(settings |> Map.add "beta2" (settings["beta2"] ** k))
        | missing ->
            Error
                $"""scaling {ruleName s.Rule} rescales {String.concat ", " (optimizerKeys s.Rule)}, which the optimizer does not have (it lacks {String.concat ", " missing}); use an Adam-family optimizer (adam, adamw, lamb)"""

    /// The rate of warm-up step t (0-based) of T: lr0 + (target - lr0) t / T; from step T on, target.
    let warmup (lr0: float) (target: float) (steps: int) (t: int) = if t >= steps || steps <= 0 then target else lr0 + (target - lr0) * float t / float steps

    let parseRule (text: string) =
        match text, rules |> List.tryFind (fun (_, n) -> n = text) with
        | "none", _ -> Ok None
        | _, Some(r, _) -> Ok(Some r)
        | other, None ->
            Error
                $"""unknown scaling rule '{other}'{Lrbs.Core.Suggest.hint other (rules |> List.map snd)}; allowed: none, {String.concat ", " (rules |> List.map snd)}"""

/// What a published table's numbers reveal: when every accuracy is a fraction k/N of one N
/// within its printed rounding, the study evaluated on N examples (or a multiple of N).
module Lrbs.Core.Analysis.Fractions

open System

/// A published value and the decimals it was printed with (0.8931 -> 4).
type Printed = { Value: float; Decimals: int }

let ofText (text: string) =
    let t = text.Trim()
    let dot = t.IndexOf '.'

    match Double.TryParse(t, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
    | true, v -> Some { Value = v; Decimals = (if dot < 0 then 0 else t.Length - dot - 1) }
    | _ -> None

/// Whether k/n rounds to the printed value for some integer k.
let fits (n: int) (p: Printed) =
    let half = 0.5 * 10.0 ** float -p.Decimals + 1e-12
    let k = Math.Round(p.Value * float n)

    abs (k / float n - p.Value) <= half
    || abs ((k + 1.0) / float n - p.Value) <= half
    || abs ((k - 1.0) / float n - p.Value) <= half

/// The smallest n (2..maxN) for which every value is such a fraction, if any.
let smallestDenominator (maxN: int) (values: Printed[]) =
    if values.Length = 0 then None else seq { 2..maxN } |> Seq.tryFind (fun n -> values |> Array.forall (fits n))

/// How many denominators below n would fit every value by chance: each value fits a random
/// denominator m with probability about min(1, 2 x half-width x m). Near 0: the evidence for n
/// is strong; near or above 1: another n would fit as well, the table is too short to tell.
let chanceFits (n: int) (values: Printed[]) =
    seq { 2 .. n - 1 }
    |> Seq.sumBy (fun m -> values |> Array.fold (fun p v -> p * min 1.0 (2.0 * 0.5 * 10.0 ** float -v.Decimals * float m)) 1.0)

/// Every n (2..maxN) for which every value is such a fraction, smallest first. Denominators
/// that share a large factor with the true one (4,000 and 6,000) can fit too: a short table
/// or few decimals leave several candidates, and the report lists them.
let consistent (maxN: int) (values: Printed[]) =
    if values.Length = 0 then
        [||]
    else
        [|
            for n in 2..maxN do
                if values |> Array.forall (fits n) then
                    yield n
        |]

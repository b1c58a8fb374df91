/// The gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish et al. 2018) against the training
/// loss, pooled over trials: the epochs' two estimates are averaged separately in bins of loss.
module Lrbs.Core.Analysis.NoiseByLoss

open System

/// One epoch's measurement: its trial, epoch training loss, |G|² and tr(Σ) estimates.
type Sample = { Trial: string; TrainLoss: float; G2: float; Trace: float }

/// A bin: its centre loss, B_simple, the 95% bootstrap band over trials (NaN without one), and
/// how many trials and epochs it pools.
type Bin = { Loss: float; B: float; Low: float; High: float; Trials: int; Epochs: int }

/// mean tr(Σ) / mean |G|² (each mean is unbiased; the ratio is taken last); NaN unless mean |G|² > 0.
let ratio (samples: Sample[]) =
    let g2 = samples |> Array.averageBy _.G2
    if g2 > 0.0 then (samples |> Array.averageBy _.Trace) / g2 else nan

/// The samples with a positive loss binned by floor(10 log10 loss) (10 bins per decade, centre
/// 10^((bin + 0.5)/10)), highest loss first, so in the order training goes. A bin is kept when
/// two or more trials fall in it and its ratio is positive; its band resamples whole trials of
/// the bin with replacement (400 replicates, seed 7).
let bins (samples: Sample[]) : Bin[] =
    samples
    |> Array.filter (fun s -> s.TrainLoss > 0.0)
    |> Array.groupBy (fun s -> floor (log10 s.TrainLoss * 10.0))
    |> Array.sortByDescending fst
    |> Array.choose (fun (bin, list) ->
        let b = ratio list

        if (list |> Array.distinctBy _.Trial).Length < 2 || not (b > 0.0) then
            None
        else
            let byTrial = list |> Array.groupBy _.Trial |> Array.map snd

            let band =
                Statistics.bootstrap 7UL 400 (fun rng -> ratio (Array.init byTrial.Length (fun _ -> byTrial[rng.NextInt byTrial.Length]) |> Array.concat))

            let lo, hi = defaultArg band (nan, nan)
            Some { Loss = 10.0 ** ((bin + 0.5) / 10.0); B = b; Low = lo; High = hi; Trials = byTrial.Length; Epochs = list.Length })

/// The bin at a training loss: the one whose tenth of a decade holds it, else the nearest in log
/// loss (None without bins).
let at (loss: float) (bins: Bin[]) =
    if bins.Length = 0 || not (loss > 0.0) then
        None
    else
        Some(bins |> Array.minBy (fun b -> abs (log10 b.Loss - log10 loss)))

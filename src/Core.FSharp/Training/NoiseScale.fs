namespace Lrbs.Core.Training

/// The gradient noise scale measurement of a trial (McCandlish et al. 2018, "An Empirical
/// Model of Large-Batch Training", appendix A.1): every `Every` steps, |G_b|^2 over
/// micro-batches of size `Small` inside the batch and |G_B|^2 over the whole batch B.
type NoiseScale =
    {
        Every: int
        Small: int
        /// Decay of the moving averages of |G|^2 and tr(Sigma).
        Ema: float
    }

/// Moving averages of the two estimates, kept separately (never of their ratio), with
/// Adam-style bias correction so that the first values are not pulled towards zero.
type NoiseEma = { G2: float; Trace: float; Weight: float; Samples: int }

module NoiseScale =
    /// Unbiased estimates from squared gradient norms at two batch sizes b < B:
    ///   |G|^2    ~ (B |G_B|^2 - b |G_b|^2) / (B - b)
    ///   tr(Sigma) ~ (|G_b|^2 - |G_B|^2) / (1/b - 1/B)
    let estimate (b: int) (bigB: int) (smallSq: float) (bigSq: float) =
        let b, bb = float b, float bigB
        (bb * bigSq - b * smallSq) / (bb - b), (smallSq - bigSq) / (1.0 / b - 1.0 / bb)

    let empty = { G2 = 0.0; Trace = 0.0; Weight = 0.0; Samples = 0 }

    /// Adds one pair of estimates to the averages.
    let add (decay: float) (g2: float, trace: float) (e: NoiseEma) =
        {
            G2 = decay * e.G2 + (1.0 - decay) * g2
            Trace = decay * e.Trace + (1.0 - decay) * trace
            Weight = decay * e.Weight + (1.0 - decay)
            Samples = e.Samples + 1
        }

    /// (|G|^2, tr(Sigma), B_simple = tr(Sigma) / |G|^2) of the averages, once there is one.
    let read (e: NoiseEma) =
        if e.Samples = 0 then
            None
        else
            let g2, trace = e.G2 / e.Weight, e.Trace / e.Weight
            Some(g2, trace, trace / g2)

namespace Lrbs.Core.Training

open Lrbs.Core.Engine
open Lrbs.Core.Models

/// Rows resident in the engine and the order an epoch visits them: shared (n), one per
/// member (members, n), or None for the rows as they are (parity cases: x is the batch).
type BatchSource = { X: Tensor; Y: Tensor; Order: Tensor option }

module Step =
    /// The training step of lrbs; train, sweep and parity all run exactly this. For every
    /// member of the net, rows [start, start + size) of the order: forward, loss, backward,
    /// optimizer update at lrs[k], and the batch's loss and metric added to the epoch
    /// statistics. One native call (src/Native/net/net.cpp, Net::step). `noiseMicro` > 0 also
    /// measures the gradient noise scale with micro-batches of that size.
    let run (net: Network) (source: BatchSource) (start: int) (size: int) (lrs: float[]) (noiseMicro: int) =
        let order =
            match source.Order with
            | Some o -> o.Handle
            | None -> 0n

        Native.lrbs_net_step (net.Handle, source.X.Handle, source.Y.Handle, order, int64 start, int64 size, lrs, int64 noiseMicro)
        |> Native.checkCode
        |> ignore

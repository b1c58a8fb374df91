/// The numbers behind the report's heat map of a (batch size, learning rate) grid on log axes.
module Lrbs.Core.Analysis.HeatMap

/// The bounds (low, high) of each value of a sorted axis of distinct positive values, as drawn on a
/// log axis: the geometric midpoints sqrt(v_i v_{i-1}) and sqrt(v_i v_{i+1}) to its neighbours.
/// Past an edge the missing neighbour is extrapolated one mean ratio step, v_i r^{±1} with
/// r = (v_last/v_first)^(1/(n-1)), or r = 2 on an axis of one value. Neighbouring values share a
/// bound, every bound pair contains its value, and on a geometric axis every cell has the same width.
let bounds (axis: float[]) : (float * float)[] =
    let n = axis.Length

    let bound i (dir: int) =
        let v = axis[i]
        let j = i + dir

        let other =
            if j >= 0 && j < n then
                axis[j]
            else
                v * (if n > 1 then (axis[n - 1] / axis[0]) ** (float dir / float (n - 1)) else 2.0 ** float dir)

        sqrt (v * other)

    Array.init n (fun i -> bound i -1, bound i 1)

/// The middle of the colour scale: (min + max)/2 over the finite cell values, 0 when none is finite.
let middle (values: float[]) =
    let finite = values |> Array.filter System.Double.IsFinite
    if finite.Length = 0 then 0.0 else (Array.min finite + Array.max finite) / 2.0
